"""PayPal. One-time donations and subscriptions; a standard transfer takes 1-3 business days."""

from supportledger.channels import Channel
from supportledger.models import Kind

CHANNEL = Channel(
    name="paypal",
    label="PayPal",
    default_kind=Kind.ONE_TIME,
    payout_lag_days=(1, 5),
)
