"""Rule-file loading: YAML 1.2 read as written, validated with file:line errors."""

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.model import RuleModel, SourceRef, validate
from autocom.config.yaml_source import (
    Document,
    LocatedDict,
    LocatedList,
    load_yaml,
    parse_yaml,
    read_config_text,
)

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "Document",
    "LocatedDict",
    "LocatedList",
    "RuleModel",
    "SourceRef",
    "load_yaml",
    "parse_yaml",
    "read_config_text",
    "validate",
]
