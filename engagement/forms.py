"""Request structs shared by the API and the HTML forms: the same limits, the same messages.

Each action has one ``msgspec.Struct`` (in the module's ``schemas.py``) whose fields carry their
limits and a label:

    class LetterCreate(msgspec.Struct):
        subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200, title=N_("Subject"))]

The API takes it as its body (Litestar validates it; ``validation_detail`` words the error); a
page handler turns its form into the same struct with ``parse_form``, which raises the same
``InvalidInput`` message. Empty form fields count as absent, so optional numbers may be left blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from engagement.errors import InvalidInput
from engagement.i18n import N_, _

S = TypeVar("S", bound=msgspec.Struct)

_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Object missing required field `(?P<field>[^`]+)`"), N_("%(field)s is required.")),
    (re.compile(r"Expected `(?:str|array)` of length >= 1\b"), N_("%(field)s is required.")),
    (re.compile(r"Expected `str(?: \| null)?` of length >= (?P<n>\d+)"), N_("%(field)s needs at least %(n)s characters.")),
    (re.compile(r"Expected `str(?: \| null)?` of length <= (?P<n>\d+)"), N_("%(field)s may have at most %(n)s characters.")),
    (re.compile(r"Expected `array` of length <= (?P<n>\d+)"), N_("%(field)s may have at most %(n)s items.")),
    (re.compile(r"Expected `array` of length >= (?P<n>\d+)"), N_("%(field)s needs at least %(n)s items.")),
    (re.compile(r"Expected `int(?: \| null)?` >= (?P<n>-?\d+)"), N_("%(field)s must be at least %(n)s.")),
    (re.compile(r"Expected `int(?: \| null)?` <= (?P<n>-?\d+)"), N_("%(field)s must be at most %(n)s.")),
    (re.compile(r"Expected `int(?: \| null)?`"), N_("%(field)s must be a whole number.")),
    (re.compile(r"Expected `bool(?: \| null)?`"), N_("%(field)s must be yes or no.")),
    (re.compile(r"Expected `datetime`|Invalid RFC3339"), N_("%(field)s must be a date and time.")),
    (re.compile(r"Expected `date`|Invalid date"), N_("%(field)s must be a date (YYYY-MM-DD).")),
    (re.compile(r"Invalid enum value|Expected `str`.*one of"), N_("%(field)s has a value that is not allowed.")),
    (re.compile(r"Expected `str(?: \| null)?`, got"), N_("%(field)s must be text.")),
    (re.compile(r"Expected `(?:array|object)"), N_("%(field)s has the wrong form.")),
]


def field_label(struct_type: type[msgspec.Struct] | None, key: str) -> str:
    """The field's translated ``title`` from its Meta (following nested paths like ``guests[0].title``), else the key."""
    info: Any = msgspec.inspect.type_info(struct_type) if struct_type is not None else None
    title = None
    for name in filter(None, re.split(r"[.\[\]]", key)):
        if name.isdigit():
            continue
        info = _struct_info(info)
        found = next((item for item in getattr(info, "fields", ()) if item.encode_name == name), None)
        if found is None:
            return key or _("The request")
        info, title = found.type, _meta_title(found.type)
    return _(title) if title else (key or _("The request"))


def _struct_info(info: Any) -> Any:
    """Look through optional, list and metadata wrappers to the struct inside."""
    while info is not None and not hasattr(info, "fields"):
        inner = getattr(info, "type", None) or getattr(info, "item_type", None)
        if inner is None and hasattr(info, "types"):  # X | None
            inner = next((t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), None)
        info = inner
    return info


def _meta_title(type_info: Any) -> str | None:
    for candidate in (type_info, *getattr(type_info, "types", ())):  # X | None is a union of types
        schema = getattr(candidate, "extra_json_schema", None) or {}
        if schema.get("title"):
            return schema["title"]
    return None


def validation_detail(raw_message: str, key: str, struct_type: type[msgspec.Struct] | None = None) -> str:
    """A msgspec validation message in the visitor's language, naming the field by its label."""
    message = _PATH.sub("", raw_message)
    for pattern, template in _MESSAGES:
        found = pattern.search(message)
        if found:
            values = found.groupdict()
            missing = values.pop("field", None)
            field = (f"{key}.{missing}" if key else missing) if missing else key
            return _(template) % {"field": field_label(struct_type, field), **values}
    return f"{field_label(struct_type, key)}: {message}"


def error_key(raw_message: str) -> str:
    found = _PATH.search(raw_message)
    return found.group(1) if found else ""


def parse_form(struct_type: type[S], data: Mapping[str, Any], **fixed: Any) -> S:
    """The form's fields as ``struct_type``; InvalidInput with the API's message when they do not fit.

    Fields the struct does not have are left out: a form also posts its CSRF token, the SMS widget's
    ``return_to`` or the pressed button's ``action``, which a struct that forbids unknown fields refuses.
    """
    known = {item.encode_name for item in msgspec.inspect.type_info(struct_type).fields}
    fields = {key: value for key, value in data.items()
              if key in known and not (isinstance(value, str) and value.strip() == "")}
    fields.update(fixed)
    _complete_datetime_local(struct_type, fields)
    try:
        return msgspec.convert(fields, struct_type, strict=False)
    except msgspec.ValidationError as error:
        raw = str(error)
        key = error_key(raw)
        raise InvalidInput(validation_detail(raw, key, struct_type), field=key) from None


_DATETIME_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _complete_datetime_local(struct_type: type[msgspec.Struct], fields: dict[str, Any]) -> None:
    """An ``<input type="datetime-local">`` sends minutes only ("2030-01-01T18:00"); RFC 3339 wants seconds."""
    for item in msgspec.inspect.type_info(struct_type).fields:
        value = fields.get(item.encode_name)
        if isinstance(value, str) and _DATETIME_LOCAL.fullmatch(value.strip()) and _is_datetime(item.type):
            fields[item.encode_name] = value.strip() + ":00"


def _is_datetime(type_info: Any) -> bool:
    candidates = getattr(type_info, "types", (type_info,))  # X | None is a union of types
    return any(isinstance(getattr(c, "type", c), msgspec.inspect.DateTimeType) for c in candidates)
