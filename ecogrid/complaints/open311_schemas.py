"""The JSON of Open311 GeoReport v2, one model per answer; the XML is the same data (``open311_xml``).

Field names and order are the spec's. Nothing here carries a complainant's name, phone, e-mail,
device or account: Open311 answers are public.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: the service has attributes; read services/{code} first")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: Datatype
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] = Field(default_factory=list)


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class ServiceRequestCreated(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class ServiceRequest(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class TokenAnswer(BaseModel):
    service_request_id: str
    token: str


class Open311Error(BaseModel):
    code: int
    description: str


class DiscoveryEndpoint(BaseModel):
    specification: str = SPECIFICATION
    url: str
    changeset: str
    type: Literal["production", "test"] = "production"
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[DiscoveryEndpoint]


class ServiceRequestForm(BaseModel):
    """A POST requests body as the spec names its fields; ``attributes`` from ``attribute[code]`` and
    ``attribute[code][]`` (a multivaluelist). Empty fields are absent: the spec treats them alike."""

    api_key: str | None = None
    jurisdiction_id: str | None = None
    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    attributes: dict[str, list[str]] = Field(default_factory=dict)
