"""Patreon. Monthly tiers charged on the 1st; the payout arrives around the 5th."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="patreon",
    label="Patreon",
    default_kind=Kind.RECURRING,
    payout_lag_days=(0, 10),
)
