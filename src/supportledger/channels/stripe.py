"""Stripe. Card payments; payouts reach the bank about two business days later."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="stripe",
    label="Stripe",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(1, 5),
)
