"""DMS API calls about databases, their backups, and tasks.

Every call here is scoped to one organization: it takes `org_id` and sends it as
`X-Org-ID`. Calls that start an asynchronous operation return a `TaskRef`; poll it with
`get_task`.
"""

from collections.abc import Mapping, Sequence

from dms_operator.clients.dms.core import SessionCore
from dms_operator.models.dms import (
    Backup,
    BackupConfig,
    CreateDatabaseRequest,
    Database,
    DatabaseSummary,
    DbOption,
    MaintenanceConfig,
    Page,
    ScaleRequest,
    Task,
    TaskRef,
)


class DatabaseApi(SessionCore):
    """Database, backup and task calls."""

    async def list_databases(
        self, org_id: str, *, instance_name: str | None = None
    ) -> list[DatabaseSummary]:
        """List the org's databases, or only those named `instance_name`."""
        params = {"instanceName": instance_name} if instance_name is not None else None
        databases = await self._list_all(
            "/databases", Page[DatabaseSummary], org_id=org_id, params=params
        )
        if instance_name is not None:
            # DMS 1.0 ignores the instanceName filter and returns every database.
            databases = [db for db in databases if db.instance_name == instance_name]
        return databases

    async def get_database(self, org_id: str, database_id: str) -> Database:
        """Read one database; raises `DMSNotFoundError` when it does not exist (anymore)."""
        response = await self._call(
            "GET", "/databases/{id}", org_id=org_id, path_params={"id": database_id}
        )
        return self._parse(response, Database)

    async def create_database(self, org_id: str, request: CreateDatabaseRequest) -> TaskRef:
        """Start creating a database (task `CREATE_DB`).

        Never retried. On an error with `outcome_unknown`, DMS may have started the
        creation: look the instance name up with `list_databases` before trying again.
        """
        response = await self._call("POST", "/databases", org_id=org_id, body=request)
        return self._parse(response, TaskRef)

    async def delete_database(self, org_id: str, database_id: str) -> TaskRef:
        """Start deleting a database (task `DELETE_DB`)."""
        response = await self._call(
            "DELETE", "/databases/{id}", org_id=org_id, path_params={"id": database_id}
        )
        return self._parse(response, TaskRef)

    async def power_on(self, org_id: str, database_id: str) -> TaskRef:
        """Start powering a database on (task `POWER_ON`)."""
        return await self._database_task(org_id, database_id, "/power-on", {})

    async def power_off(self, org_id: str, database_id: str) -> TaskRef:
        """Start powering a database off (task `POWER_OFF`)."""
        return await self._database_task(org_id, database_id, "/power-off", {})

    async def scale(self, org_id: str, database_id: str, request: ScaleRequest) -> TaskRef:
        """Start changing CPU and memory, or the instance plan (task `SCALE_DB_CONFIG`)."""
        return await self._database_task(org_id, database_id, "/scale-db-config", request)

    async def extend_disk(self, org_id: str, database_id: str, size_gb: int) -> TaskRef:
        """Start growing the disk to `size_gb` GB (task `EXTEND_DB_DISK`)."""
        body = {"hdDiskSizeGB": size_gb}
        return await self._database_task(org_id, database_id, "/extend-disk", body)

    async def change_db_options(
        self,
        org_id: str,
        database_id: str,
        options: Mapping[str, str] | Sequence[DbOption],
    ) -> TaskRef:
        """Start setting engine parameters (task `CHANGE_DB_OPTIONS`)."""
        if isinstance(options, Mapping):
            items = [DbOption(key=key, value=value) for key, value in options.items()]
        else:
            items = list(options)
        body = {"dbOptions": [item.to_wire() for item in items]}
        return await self._database_task(org_id, database_id, "/db-options", body)

    async def set_client_ssl(self, org_id: str, database_id: str, required: bool) -> TaskRef:
        """Start requiring or allowing plain-text client connections
        (task `DB_CLIENT_SSL_ENABLE` or `DB_CLIENT_SSL_DISABLE`)."""
        body = {"requireClientSsl": required}
        return await self._database_task(org_id, database_id, "/client-ssl", body)

    async def update_backup_config(
        self, org_id: str, database_id: str, config: BackupConfig
    ) -> Database:
        """Replace the backup retention and start time; DMS applies it synchronously."""
        response = await self._call(
            "PUT",
            "/databases/{id}/backup-config",
            org_id=org_id,
            path_params={"id": database_id},
            body=config,
        )
        return self._parse(response, Database)

    async def update_maintenance_config(
        self, org_id: str, database_id: str, config: MaintenanceConfig
    ) -> Database:
        """Replace the maintenance window; DMS applies it synchronously."""
        response = await self._call(
            "PUT",
            "/databases/{id}/maintenance-config",
            org_id=org_id,
            path_params={"id": database_id},
            body=config,
        )
        return self._parse(response, Database)

    # Backups

    async def create_backup(
        self, org_id: str, database_id: str, backup_name: str, *, automated: bool = False
    ) -> TaskRef:
        """Start an on-demand backup (task `BACKUP_DB`). Never retried: on an error with
        `outcome_unknown`, look for `backup_name` with `list_backups` first."""
        response = await self._call(
            "POST",
            "/databases/{id}/backup",
            org_id=org_id,
            path_params={"id": database_id},
            body={"backupName": backup_name, "automated": automated},
        )
        return self._parse(response, TaskRef)

    async def list_backups(self, org_id: str, database_id: str) -> list[Backup]:
        """List the backups of one database."""
        backups = await self._list_all(
            "/backups", Page[Backup], org_id=org_id, params={"db": database_id}
        )
        # Filter here too, in case an appliance ignores the db parameter.
        return [backup for backup in backups if backup.db_id in (None, database_id)]

    # Tasks

    async def get_task(self, org_id: str, task_id: str) -> Task:
        """Read a task's progress and outcome."""
        response = await self._call(
            "GET", "/mastertasks/{id}", org_id=org_id, path_params={"id": task_id}
        )
        return self._parse(response, Task)

    async def _database_task(
        self,
        org_id: str,
        database_id: str,
        action: str,
        body: ScaleRequest | Mapping[str, object],
    ) -> TaskRef:
        response = await self._call(
            "PUT",
            "/databases/{id}" + action,
            org_id=org_id,
            path_params={"id": database_id},
            body=body,
        )
        return self._parse(response, TaskRef)
