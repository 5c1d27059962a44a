"""eBookIt: a small publisher's ebook royalties. Its terms are not public, so its fee rule
is "unknown" until the writer puts their contract's rate in ``FEE_SCHEDULE_FILE``."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="ebookit",
    label="eBookIt",
    account="EBookIt",
    payouts_from_bank=True,
    default_kind=Kind.SALE,
    payout_lag_days=(0, 10),
    royalty=True,
    royalty_paid_after_days=90,  # terms not public: a guess, see the contract
    reports_by_month=True,
)
