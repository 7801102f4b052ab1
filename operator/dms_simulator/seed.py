"""The records a fresh simulator starts with: the documented templates, the
provider org and its admin."""

from __future__ import annotations

from typing import Any

from dms_simulator.records import Template, TemplateOption

POSTGRES = "POSTGRES"
MYSQL = "MYSQL"

DEFAULT_PORTS = {POSTGRES: 5432, MYSQL: 3306}

# The template builds seen on a real DMS appliance (logicalBuildId, engine, version).
TEMPLATE_BUILDS = (
    ("00000002-0000-0000-0000-000000011100", POSTGRES, "11.10.0"),
    ("00000003-0000-0000-0000-000000001270", POSTGRES, "12.7.0"),
    ("00000001-0000-0000-0000-000000010150", POSTGRES, "10.15.0"),
    ("00000002-0000-0000-0000-000000008023", MYSQL, "8.0.23"),
    ("00000001-0000-0000-0000-000000000080", MYSQL, "8.0"),
)

# Options a database of each engine accepts in `dbOptions`, with DMS's option
# types (INTEGER / STRING). The list is the simulator's choice: DMS publishes an
# option list per template, but no public copy of one was found.
_ENGINE_OPTIONS: dict[str, list[tuple[str, str, str]]] = {
    POSTGRES: [
        ("max_connections", "100", "INTEGER"),
        ("shared_buffers", "128MB", "STRING"),
        ("work_mem", "4MB", "STRING"),
        ("log_min_duration_statement", "-1", "INTEGER"),
        ("statement_timeout", "0", "INTEGER"),
    ],
    MYSQL: [
        ("max_connections", "151", "INTEGER"),
        ("innodb_buffer_pool_size", "134217728", "INTEGER"),
        ("wait_timeout", "28800", "INTEGER"),
        ("sql_mode", "STRICT_TRANS_TABLES", "STRING"),
        ("long_query_time", "10", "INTEGER"),
    ],
}


def system_defaults() -> dict[str, Any]:
    return {
        "cpu": {"min": 1, "max": 16, "defaultCPU": 2},
        "memory": {"min": 2, "max": 64, "defaultMemory": 4, "unit": "GB"},
        "disk": {"min": 20, "max": 2048, "defaultDisk": 60, "unit": "GB"},
    }


def seed_templates() -> dict[str, Template]:
    templates: dict[str, Template] = {}
    for build_id, engine, version in TEMPLATE_BUILDS:
        templates[build_id] = Template.model_validate(
            {
                "logicalBuildId": build_id,
                "serviceType": engine,
                "version": version,
                "status": "PUBLISHED",
                "systemDefaults": system_defaults(),
                "dbOptions": [
                    TemplateOption(key=key, value=value, type=kind)
                    for key, value, kind in _ENGINE_OPTIONS[engine]
                ],
            }
        )
    return templates
