"""The base every stage spec shares: no unknown fields, an optional `name` used as its label."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StageBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="label in manifests and progress bars; default: the type")

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]
