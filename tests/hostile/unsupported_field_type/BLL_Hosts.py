import ipaddress

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class HostModel(ApplicationModel, DatabaseMixin):
    address: ipaddress.IPv4Address = Field(description="Where the host answers")
