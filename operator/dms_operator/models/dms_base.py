"""Shared base of the DMS payload models: wire conventions, secrets and paging.

Keys are camelCase on the wire and snake_case in Python. Unknown keys in responses are
dropped, so a newer appliance that adds fields does not break parsing. Models are
immutable.

Passwords are `SecretStr`. `repr()`, `str()` and `model_dump()` mask them; only
`to_wire()`, which builds the JSON body of a request, reveals them.
"""

from typing import Annotated, Any, Final, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
)
from pydantic.alias_generators import to_camel

# Key of the serialisation context that makes `WireSecret` fields dump their value.
REVEAL_SECRETS: Final = "dms_reveal_secrets"


def _serialize_secret(value: SecretStr, info: SerializationInfo) -> str:
    context = info.context
    if isinstance(context, dict) and context.get(REVEAL_SECRETS) is True:
        return value.get_secret_value()
    return str(value)


WireSecret = Annotated[SecretStr, PlainSerializer(_serialize_secret, return_type=str)]
"""A password: masked everywhere except in the body that `DMSModel.to_wire()` builds."""


class DMSModel(BaseModel):
    """Base of every DMS payload: camelCase aliases, unknown keys ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """Build the JSON request body: aliases, no `None` values, passwords revealed."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, context={REVEAL_SECRETS: True}
        )

    def secret_values(self) -> list[str]:
        """Return every revealed password in this model and its nested models.

        The client uses them to scrub an echo of a password out of DMS error messages.
        """
        found: list[str] = []
        for name in type(self).model_fields:
            _collect_secrets(getattr(self, name), found)
        return found


def _collect_secrets(value: object, found: list[str]) -> None:
    if isinstance(value, SecretStr):
        if value.get_secret_value():
            found.append(value.get_secret_value())
    elif isinstance(value, DMSModel):
        found.extend(value.secret_values())
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_secrets(item, found)


ItemT = TypeVar("ItemT")


class PageMetadata(DMSModel):
    """The `page` object of a Spring page envelope; `number` is zero-based."""

    size: int = 0
    total_elements: int = 0
    total_pages: int = 0
    number: int = 0


class Page(DMSModel, Generic[ItemT]):
    """A page of a list endpoint: `{"links", "content", "page"}`."""

    content: list[ItemT] = Field(default_factory=list)
    page: PageMetadata | None = None

    def is_last(self) -> bool:
        """Tell whether no page follows this one.

        The page metadata decides, because a server may cap the page size below the
        requested one. Without metadata the endpoint is taken as unpaged.
        """
        if not self.content or self.page is None:
            return True
        return self.page.number + 1 >= self.page.total_pages


class DbOption(DMSModel):
    """One engine parameter. DMS may send a number as the value; it is kept as text."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    key: str
    value: str | None = None
