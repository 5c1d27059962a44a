"""Amazon KDP: ebook royalties, paid about 60 days after the end of the royalty month.

On the 70% option Amazon also keeps 70% of a delivery cost per megabyte, so the fee rule
needs the file size as well as the price.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from supportledger.channels import Channel
from supportledger.fees import FeeSchedule
from supportledger.models import Kind
from supportledger.money import Money


class KdpChannel(Channel):
    def delivery_cost(
        self, schedule: FeeSchedule, on: dt.date, currency: str, megabytes: Decimal, plan: str
    ) -> Money:
        """Delivery cost of one copy: the per-MB price × size, at least one minor unit."""
        rate = schedule.rule(self.name, on, plan).delivery_per_mb.get(currency)
        if rate is None:
            return Money.zero(currency)
        return max((Money(rate, currency) * megabytes).rounded(), Money.from_minor(1, currency))

    def royalty_fee(
        self,
        schedule: FeeSchedule,
        on: dt.date,
        price: Money,
        units: int,
        megabytes: Decimal = Decimal(0),
        plan: str | None = None,
    ) -> Money | None:
        """What Amazon keeps of ``units`` copies sold at ``price`` under the schedule."""
        plan = plan or schedule.defaults.get(self.name)
        delivery = self.delivery_cost(schedule, on, price.currency, megabytes, plan)
        per_copy = self.expected_fee(schedule, on, price, plan, bases={"delivery": delivery})
        return None if per_copy is None else per_copy * units


CHANNEL = KdpChannel(
    name="kdp",
    label="Amazon KDP",
    default_kind=Kind.SALE,
    payout_lag_days=(0, 7),
    royalty=True,
    royalty_paid_after_days=60,
)
