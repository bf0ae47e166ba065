"""Everything the rules may name, computed from the application and the registry answers.

Word lists, dates and catalogue look-ups are worked out here in Python and handed to the rules
as plain typed facts: the rule engine has no dates, no contains and an unreliable regex.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from approval.authorities import authority_for
from approval.catalog.scope import ScopeCatalog, ScopeItem
from approval.decisions.registries import RegistryAnswers
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import IdNumberCheck, IdNumberInvalid, check_id_number
from approval.names.analysis import NameLexicon, analyse_name
from connectors.registries import FOOD, MARKET, REALESTATE


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """The data files behind the derived facts, loaded once with the ruleset."""

    scope: ScopeCatalog
    names: NameLexicon


def _family_ids_ok(app: ApplicationCreate, today: dt.date) -> bool:
    try:
        for member in app.family_members:
            check_id_number("resident_id", member.id_number, today)
    except IdNumberInvalid:
        return False
    return True


def scope_items(app: ApplicationCreate, catalog: ScopeCatalog) -> list[ScopeItem | None]:
    return [catalog.get(code) for code in app.scope]


def build_facts(
    app: ApplicationCreate,
    id_check: IdNumberCheck,
    answers: RegistryAnswers,
    reference: ReferenceData,
    today: dt.date,
) -> dict[str, Any]:
    """The flat fact mapping of the declared fact schema, every fact present and typed."""
    items = scope_items(app, reference.scope)
    known = [item for item in items if item is not None]
    tags = {tag for item in known for tag in item.tags}
    kinds = [item.kind.value for item in known]
    name = analyse_name(app.name, app.premises.district_code, reference.names)
    market, food, estate = answers.facts(MARKET), answers.facts(FOOD), answers.facts(REALESTATE)
    operator = id_check.number
    estate_found = bool(estate and estate.found)
    leases = estate.leases if estate else ()
    return {
        "operator.id_type": app.operator.id_type,
        "operator.id_check_ok": True,
        "operator.birth_date_valid": id_check.birth_date is not None or id_check.is_foreign,
        "operator.age": id_check.age_on(today),
        "operator.is_foreign": id_check.is_foreign,
        "operator.division_known": id_check.division_known,
        "identity.face_match_score": app.identity_evidence.face_match_score,
        "identity.liveness_passed": app.identity_evidence.liveness_passed,
        "application.organisation_form": app.organisation_form,
        "application.family_member_count": len(app.family_members),
        "application.family_ids_ok": _family_ids_ok(app, today),
        "name.present": name.present,
        "name.charset_ok": name.charset_ok,
        "name.prohibited_hit_count": len(name.prohibited_hits),
        "name.prohibited_obfuscated": name.prohibited_obfuscated,
        "name.restricted_hit": name.restricted_hit,
        "name.org_form_allowed": name.org_form_allowed,
        "name.org_form_forbidden": name.org_form_forbidden,
        "name.division_matches_premises": name.division_matches_premises,
        "name.trade_name_length": name.trade_name_length,
        "name.structure_ok": name.structure_ok,
        "scope.item_count": len(items),
        "scope.unknown_count": items.count(None),
        "scope.closed_count": kinds.count("closed"),
        "scope.pre_approval_count": kinds.count("pre_approval"),
        "scope.post_permit_count": kinds.count("post_permit"),
        "scope.filing_count": kinds.count("filing"),
        "scope.has_fumes": "fumes" in tags,
        "scope.has_entertainment": "entertainment" in tags,
        "scope.physical_premises_required": "physical_premises_required" in tags,
        "premises.kind": app.premises.kind,
        "premises.in_jurisdiction": authority_for(app.premises.district_code) is not None,
        "premises.certificate_given": bool(app.premises.property_certificate_number),
        "commitments.truthfulness": app.commitments.truthfulness,
        "commitments.no_trading_before_permit": app.commitments.no_trading_before_permit,
        "commitments.residential_use_consent": app.commitments.residential_use_consent,
        "commitments.e_commerce": app.commitments.e_commerce,
        "registries.unavailable_count": len(answers.unavailable),
        "registries.market.identical_name": bool(market and market.identical_name_exists),
        "registries.market.similar_name": bool(market and market.similar_name_exists),
        "registries.market.serious_dishonesty": bool(market and market.serious_dishonesty),
        "registries.market.judgment_defaulter": bool(market and market.judgment_defaulter),
        "registries.market.false_registration_ban_active": bool(
            market
            and market.false_registration_banned_until
            and market.false_registration_banned_until > today
        ),
        "registries.market.impersonation_watch": bool(market and market.impersonation_watch),
        "registries.market.revoked_entity_count": sum(
            1
            for entity in (market.existing_entities if market else ())
            if entity.status in ("吊销未注销", "经营异常")
        ),
        "registries.realestate.found": estate_found,
        "registries.realestate.registered_use": (
            estate.registered_use
            if estate and estate.found and estate.registered_use in _USES
            else "未知"
        ),
        "registries.realestate.sealed": bool(estate and estate.sealed),
        "registries.realestate.operator_is_owner": bool(
            estate and operator in estate.owner_id_numbers
        ),
        "registries.realestate.operator_has_lease": any(
            lease.lessee_id_number == operator and lease.start <= today <= lease.end
            for lease in leases
        ),
        "registries.realestate.district_matches": bool(
            estate and estate.district_code == app.premises.district_code
        ),
        "registries.food.valid_permit_count": sum(
            1 for permit in (food.permits if food else ()) if permit.valid_until >= today
        ),
        "registries.food.prepackaged_filing": bool(food and food.prepackaged_filing_exists),
    }


_USES = {"住宅", "商业", "办公", "工业", "商住"}


def licence_conditions(
    app: ApplicationCreate, catalog: ScopeCatalog, residential: bool
) -> list[str]:
    """What an approval with conditions obliges the holder to do, in the applicant's words."""
    conditions = []
    for item in scope_items(app, catalog):
        if item is None:
            continue
        if item.kind == "post_permit":
            conditions.append(
                f"{item.title}：取得{item.permit}后方可开展经营活动（{item.authority}）"
            )
        elif item.kind == "filing":
            conditions.append(f"{item.title}：开展经营前须向{item.authority}办理{item.permit}")
    if residential:
        conditions.append(
            "住宅作为经营场所：已承诺征得有利害关系的业主一致同意（《民法典》第二百七十九条）"
        )
    return conditions
