"""Audible (ACX). Audiobook royalties, paid about 30 days after the sales month."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="audible",
    label="Audible (ACX)",
    default_kind=Kind.SALE,
    payout_lag_days=(0, 7),
    royalty=True,
    royalty_paid_after_days=30,
)
