"""Names the toolkit's `validate` and `status` commands still look up in this module.

The runtime core is split by concern: _errors, _credentials, _signing, _endpoints, _retry, _xml (and
_transport, _http for HTTP). This module only re-exports what generator/traffic.py and
generator/status.py read here; it goes once they import from _xml and _errors.
"""

from __future__ import annotations

from ._errors import CredentialsError, EndpointError, XmlError
from ._xml import xml_to_dict

__all__ = ["CredentialsError", "EndpointError", "XmlError", "xml_to_dict"]
