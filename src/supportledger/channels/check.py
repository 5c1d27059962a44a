"""Check. Paper checks mailed to the P.O. box: recorded when they arrive, counted when deposited."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="check",
    label="Check",
    account="Checks",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(0, 10),
    holds_balance=False,
    in_hand=True,
)
