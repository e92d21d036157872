"""The rule factory: a rule states its requirement and its check; this module does the rest.

Every rule of the pack is built here, so each rule module holds only what its rules judge. The
factory filters resources to 1NCE webhooks, refuses misspelt settings, reads properties with
unknown values made explicit (see ``unknowns``), prefixes each finding with the rule's one-line
requirement, and defers to ``pulumi up`` whatever a check could not judge during a preview.

A check is a generator of details; each detail becomes one violation, reported as
``"<requirement> <detail>"``, e.g. ``"Webhook URL must use https. 1NCE delivers over HTTPS
only, ..."``. Example::

    def _check_https(hook: Hook) -> Iterator[str]:
        url = hook.known("url")
        if isinstance(url, str) and not url.lower().startswith("https:"):
            yield "1NCE delivers over HTTPS only."

    URL_HTTPS = resource_rule(_check_https, name="webhook-url-https",
                              requirement="Webhook URL must use https.", description=...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .._tokens import DYNAMIC_WEBHOOK
from .._tokens import WEBHOOK_TYPES as _WEBHOOK_TYPES
from .unknowns import NotKnownDuringPreviewError, Unknown, plural, read

__all__ = [
    "ADOPTING_NOTE",
    "POLICY_PACK_NAME",
    "WEBHOOK_TYPE",
    "WEBHOOK_TYPES",
    "Hook",
    "PolicyConfigError",
    "resource_rule",
    "stack_rule",
    "string_list_setting",
]

ADOPTING_NOTE: Final = (
    " If this run adopts the webhook (adoptId), these are the values 1NCE holds now: the provider "
    "records them so that the next plan names each change. To adopt it and fix it through "
    "Pulumi, run that one `up` with this policy advisory (--policy-pack-config)."
)
"""Added to a mandatory finding on an adopting webhook, whose judged values may be live ones."""

POLICY_PACK_NAME: Final = "onence-webhooks"
#: The dynamic resource's type (``pulumi_onence.Webhook``).
WEBHOOK_TYPE: Final = DYNAMIC_WEBHOOK
#: Every type a webhook is declared with: the dynamic resource and the plugin's; judged alike.
WEBHOOK_TYPES: Final = _WEBHOOK_TYPES


class PolicyConfigError(ValueError):
    """A policy was configured with a setting it does not have (a misspelt name, say).

    The engine checks setting types against each policy's schema but accepts unknown names, so a
    typo such as ``allowedDomain`` would silently leave a rule inactive; this fails the run instead.
    """


def _check_settings(
    config: Mapping[str, Any], rule: str, schema: PolicyConfigSchema | None
) -> None:
    known = set(schema.properties) if schema is not None else set()
    unknown = sorted(set(config) - known)
    if unknown:
        names = ", ".join(repr(str(n)[:40]) for n in unknown)
        expected = ", ".join(sorted(known)) or "none"
        raise PolicyConfigError(
            f"{rule}: unknown {plural('setting', len(unknown))} {names} in the policy pack "
            f"config (settings of this policy: {expected})"
        )


@dataclass
class Hook:
    """One webhook as a check sees it: its name, its properties and the rule's settings.

    Resource rules see the declared **inputs**; stack rules see the **outputs** (for an adopted
    webhook: the live values 1NCE reported).
    """

    name: str
    urn: str
    props: Mapping[str, Any]
    config: Mapping[str, Any]
    unknown: list[str] = field(default_factory=list)
    _not_applicable: Callable[[str], None] | None = None

    def get(self, key: str) -> Any:
        """A property as a plain value, :class:`Unknown`, or ``None`` when absent."""
        return read(self.props, key)

    def defer(self, path: str) -> None:
        """Note a value the check could not judge; the rule defers it to ``pulumi up``."""
        if path not in self.unknown:
            self.unknown.append(path)

    def known(self, key: str) -> Any:
        """A property the check judges: ``None`` when absent or not known yet (then deferred).

        An adopting webhook that leaves the property out keeps the live value, which resource
        rules cannot see: the rule is then not applicable to it.
        """
        value = self.get(key)
        if isinstance(value, Unknown):
            self.defer(value.path)
            return None
        if value is None and self.adopting:
            self.not_applicable(f"the webhook adopts an existing integration and sets no {key}")
        return value

    def not_applicable(self, reason: str) -> None:
        """Mark the rule not applicable to this webhook (resource rules only)."""
        if self._not_applicable is not None:
            self._not_applicable(reason)

    @property
    def adopting(self) -> bool:
        """Whether the webhook adopts an existing integration (``adoptId``)."""
        return read(self.props, "adoptId") not in (None, "")

    def setting(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def setting_strings(self, key: str) -> list[str]:
        value = self.config.get(key) or []
        return [str(v) for v in value if isinstance(v, str) and v.strip()]


def string_list_setting(description: str, *, min_length: int = 0) -> dict[str, Any]:
    """The JSON schema of a setting that lists names (default: empty)."""
    items: dict[str, Any] = {"type": "string"}
    if min_length:
        items["minLength"] = min_length
    return {"type": "array", "items": items, "default": [], "description": description}


ResourceCheck = Callable[[Hook], Iterable[str]]
StackCheck = Callable[[list[Hook]], Iterable[tuple[Hook, str]]]


def _schema(settings: Mapping[str, Mapping[str, Any]] | None) -> PolicyConfigSchema | None:
    return (
        PolicyConfigSchema(properties={k: dict(v) for k, v in settings.items()})
        if settings
        else None
    )


def resource_rule(
    check: ResourceCheck,
    *,
    name: str,
    requirement: str,
    description: str,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    severity: Severity = Severity.MEDIUM,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    remediation: str | None = None,
) -> ResourceValidationPolicy:
    """A policy judging one webhook's inputs with ``check``.

    Parameters
    ----------
    check:
        Yields one detail per violation (never a header value nor any part of the URL).
    requirement:
        The one-line requirement every message starts with ("Webhook URL must use https.").
    settings:
        JSON schema of each setting the rule reads from the policy pack config.
    """
    schema = _schema(settings)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        _check_settings(args.get_config(), name, schema)
        if args.resource_type not in WEBHOOK_TYPES:
            args.not_applicable(f"not a 1NCE webhook ({', '.join(WEBHOOK_TYPES)})")
        hook = Hook(args.name, args.urn, args.props, args.get_config(), [], args.not_applicable)
        note = ADOPTING_NOTE if hook.adopting and level == EnforcementLevel.MANDATORY else ""
        for detail in check(hook):
            report(f"{requirement} {detail}{note}", None)
        if hook.unknown:
            raise NotKnownDuringPreviewError(name, [args.name], hook.unknown)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        config_schema=schema,
        remediation_steps=remediation,
    )


def stack_rule(
    check: StackCheck,
    *,
    name: str,
    requirement: str,
    description: str,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    severity: Severity = Severity.MEDIUM,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A policy judging every webhook of the stack (their outputs) with ``check``.

    ``check`` yields ``(webhook, detail)``; the violation is attached to that webhook.
    """
    schema = _schema(settings)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = args.get_config()
        _check_settings(config, name, schema)
        hooks = [
            Hook(r.name, r.urn, r.props, config)
            for r in args.resources
            if r.resource_type in WEBHOOK_TYPES
        ]
        for hook, detail in check(hooks):
            report(f"{requirement} {detail}", hook.urn)
        pending = [h for h in hooks if h.unknown]
        if pending:
            paths = list(dict.fromkeys(p for h in pending for p in h.unknown))
            raise NotKnownDuringPreviewError(name, [h.name for h in pending], paths)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        config_schema=schema,
    )
