"""`DMSSession`: one DMS login and every API call the operator makes with it.

Get sessions from `DMSClientPool.session_for`, which shares one session between all
resources that use the same endpoint, TLS configuration and username.
"""

from dms_operator.clients.dms.api_admin import AdminApi
from dms_operator.clients.dms.api_databases import DatabaseApi


class DMSSession(AdminApi, DatabaseApi):
    """A DMS login with the API calls of the operator.

    The session logs in on its first call and keeps its token fresh (see `SessionCore`).
    Calls scoped to an organization take its id as `org_id`; `default_org_id()` returns
    the login's only organization. Every failure is a `DMSError`.
    """
