"""Other income: honoraria, speaking fees, a reading's door money. Paid straight into the
bank, no processor in between and no fee; the writer says which bank lines they are
(``supportledger bank classify LINE --as income:other``), and the statement counts them as
a row of their own."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="other",
    label="Other income",
    account="Other",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(0, 1),
    holds_balance=False,
    itemises_subscription_payments=False,
)
