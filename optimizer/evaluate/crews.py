"""Rules between visits of several routes: crews, pins and `after` relations, links."""

from __future__ import annotations

from collections.abc import Iterator

from optimizer.evaluate.context import Violation, _Context, _minutes, _must_serve, _Served, _Visit


def _crew_rules(ctx: _Context, visits: dict[str, list[_Visit]]) -> Iterator[Violation]:
    """Each served order is in exactly crew_size routes of distinct technicians, once per
    route, with identical start, end and crew list, the crew being those technicians."""
    for order_id, order_visits in visits.items():
        order = ctx.orders.get(order_id)
        if order is None:
            continue  # reported at the item
        if len(order_visits) == 1 and order.crew_size == 1:
            one = order_visits[0]
            if one.visit.crew == [one.technician]:
                continue  # one technician, its own crew: nothing below can fail
        where = f"orders/{order_id}"
        per_route: dict[int, _Visit] = {}
        for v in order_visits:
            if v.route in per_route:
                yield Violation(
                    "duplicate_visit",
                    f"routes[{v.route}].items[{v.item}]",
                    f"the route already visits '{order_id}' (items[{per_route[v.route].item}])",
                )
            per_route.setdefault(v.route, v)
        techs = [v.technician for v in per_route.values()]
        if len(per_route) != order.crew_size:
            yield Violation(
                "crew_mismatch",
                where,
                f"served in {len(per_route)} routes, its crew size is {order.crew_size}",
            )
        if len(set(techs)) < len(techs):
            yield Violation(
                "crew_mismatch", where, "one technician serves it in more than one route"
            )
        crew_visits = [v.visit for v in per_route.values()]
        first = crew_visits[0]
        if any(v.start != first.start or v.end != first.end for v in crew_visits):
            yield Violation("crew_mismatch", where, "its visits start or end at different times")
        if any(v.crew != first.crew for v in crew_visits):
            yield Violation("crew_mismatch", where, "its visits list different crews")
        if len(set(first.crew)) != len(first.crew) or set(first.crew) != set(techs):
            yield Violation(
                "crew_mismatch",
                where,
                f"crew {first.crew} is not the technicians serving it {sorted(set(techs))}",
            )


def _order_rules(ctx: _Context, served: dict[str, _Served]) -> Iterator[Violation]:
    """Mandatory and pinned orders are served, pins are honoured, `after` orders come first."""
    for order in ctx.problem.orders:
        where = f"orders/{order.id}"
        s = served.get(order.id)
        pin = order.pinned
        if s is None:
            if _must_serve(order):
                kind = "mandatory" if order.mandatory else "pinned"
                yield Violation("mandatory", where, f"a {kind} order is not served")
            continue
        if pin is not None and pin.technician is not None and pin.technician not in s.technicians:
            yield Violation(
                "pinned", where, f"pinned to '{pin.technician}', who does not serve it"
            )
        if pin is not None and pin.start is not None and s.start != pin.start:
            yield Violation(
                "pinned",
                where,
                f"starts at {s.start.isoformat()}, pinned to {pin.start.isoformat()}",
            )
        for ref in order.after:
            before = served.get(ref)
            if before is None:
                yield Violation("after", where, f"served although '{ref}' is not")
            elif s.start < before.end:
                yield Violation(
                    "after",
                    where,
                    f"starts at {s.start.isoformat()}, before '{ref}' ends at "
                    f"{before.end.isoformat()}",
                )


def _link_rules(ctx: _Context, served: dict[str, _Served]) -> Iterator[Violation]:
    """Linked orders are served both or neither, and each link's start-to-start gap (this
    start minus the other's) lies in [min_gap, max_gap]. Reported at the order declaring it."""
    for order in ctx.problem.orders:
        s = served.get(order.id)
        for j, link in enumerate(order.linked):
            where = f"orders/{order.id}/linked[{j}]"
            other = served.get(link.order)
            if s is None and other is None:
                continue
            if other is None:
                yield Violation("linked", where, f"served although linked '{link.order}' is not")
            elif s is None:
                yield Violation(
                    "linked", where, f"not served although linked '{link.order}' is served"
                )
            elif not link.min_gap <= s.start - other.start <= link.max_gap:
                yield Violation(
                    "linked",
                    where,
                    f"starts {_minutes(s.start - other.start):g} min after '{link.order}', "
                    f"the link allows {_minutes(link.min_gap):g} .. {_minutes(link.max_gap):g}",
                )
