"""Where and how an item may be filed: its channels and the hall levels it is delegated to."""

from __future__ import annotations

from approval.catalog.items import CHANNEL_LABELS, LEVEL_LABELS, Catalog, CatalogItem, Hall
from approval.errors import HallNotOfKey, ItemNotDelegatedToHall, ItemNotOnChannel, UnknownHall
from approval.kernel.principal import Role

CHANNEL_OF_ROLE = {Role.TERMINAL: "terminal", Role.MOBILE: "mobile", Role.STAFF: "window"}


def channel_of(role: Role, hall: Hall | None) -> str:
    """The channel an application comes through: a terminal in a bank branch is the bank."""
    if role == Role.TERMINAL and hall is not None and hall.level == "bank":
        return "bank"
    return CHANNEL_OF_ROLE.get(role, role.value)


def find_hall(catalog: Catalog, hall_code: str | None) -> Hall | None:
    if hall_code is None:
        return None
    hall = catalog.halls.get(hall_code)
    if hall is None:
        raise UnknownHall(f"没有编码为 {hall_code} 的办事大厅")
    return hall


def hall_of_key(catalog: Catalog, key_hall: str | None, named: str | None) -> Hall | None:
    """The hall a submission is filed in: the key's. A form may name that hall, never another,
    so that nothing in a body widens what a key may do."""
    if named is not None and named != key_hall:
        where = f"“{key_hall}”" if key_hall else "任何办事大厅"
        raise HallNotOfKey(f"该密钥设在{where}，不能以办事大厅 {named} 的名义受理")
    return find_hall(catalog, key_hall)


def check_delivery(item: CatalogItem, channel: str, hall: Hall | None) -> None:
    """Refuse an item on a channel it does not accept or in a hall it is not delegated to."""
    if channel not in item.channels:
        accepted = "、".join(CHANNEL_LABELS[c] for c in item.channels)
        raise ItemNotOnChannel(
            f"“{item.name}”不能通过{CHANNEL_LABELS.get(channel, channel)}办理，可通过：{accepted}",
            item_code=item.code,
        )
    if hall is not None and hall.level not in item.hall_levels:
        levels = "、".join(LEVEL_LABELS[level] for level in item.hall_levels)
        raise ItemNotDelegatedToHall(
            f"“{item.name}”未下放到{hall.name}，请到{levels}办理",
            item_code=item.code,
            hall_code=hall.code,
        )
