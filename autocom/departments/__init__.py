"""Delegated administration: departments.yaml says what each department may change,
each department's fragments (a folder of YAML files) change it (docs/departments.md).

``read_departments`` (I/O) reads them, ``check_departments`` (pure) refuses what a
department may not set, ``with_group_members`` (pure) gives the site the
departments' hunt-group members; each feature merges the rest into its rules
(``Feature.merge_departments``).
"""

from autocom.departments.check import check_departments
from autocom.departments.compiled import Departments, Kind, Setting
from autocom.departments.merge import with_group_members
from autocom.departments.model import Department, DepartmentsFile, Fragment, Permissions
from autocom.departments.read import fragment_files, read_departments

__all__ = [
    "Department",
    "Departments",
    "DepartmentsFile",
    "Fragment",
    "Kind",
    "Permissions",
    "Setting",
    "check_departments",
    "fragment_files",
    "read_departments",
    "with_group_members",
]
