"""Zelle. Bank to bank, no processor fee; the money is in the bank the day it is sent."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="zelle",
    label="Zelle",
    account="Zelle",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(0, 1),
    holds_balance=False,
)
