"""Load YAML safely and remember the line of every node, so plan errors can name their line.

Only PyYAML's SafeLoader is used (no object tags). Alias expansion is bounded, which stops
"billion laughs" files before anything walks the expanded tree.
"""

from __future__ import annotations

from typing import Any

import yaml

from ipdemo.errors import PlanError, Problem

NODE_LIMIT = 200_000

KeyPath = tuple[Any, ...]  # where a value sits in the YAML: ("ledgers", "patents", "fields", 0)


def load_yaml(text: str, filename: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse `text`; return the data and a map from key path to 1-based line."""
    # libyaml's safe loader when present (10x faster), else the pure-Python one: both safe.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[KeyPath, int] = {}
        duplicates: list[Problem] = []
        _index(node, (), lines, duplicates, filename, [0])
        if duplicates:
            raise PlanError("yaml_duplicate_key", problems=duplicates, key=duplicates[0].params["key"])
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = getattr(exc, "problem", "") or ""
        tag = tag.split("tag ")[-1] if "tag" in tag else tag
        problem = Problem(filename, mark.line + 1 if mark else None, None, "yaml_tag", params={"tag": tag})
        raise PlanError("yaml_tag", problems=[problem], tag=tag) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = " ".join(str(getattr(exc, "problem", None) or exc).split())
        problem = Problem(filename, mark.line + 1 if mark else None, None, "yaml_syntax",
                          params={"reason": reason})
        raise PlanError("yaml_syntax", problems=[problem], reason=reason) from None
    finally:
        loader.dispose()
    return data, lines


def _index(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], duplicates: list[Problem],
           filename: str, seen: list[int]) -> None:
    seen[0] += 1
    if seen[0] > NODE_LIMIT:
        problem = Problem(filename, node.start_mark.line + 1, None, "yaml_too_big",
                          params={"limit": NODE_LIMIT})
        raise PlanError("yaml_too_big", problems=[problem], limit=NODE_LIMIT)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        keys: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            if key in keys:
                duplicates.append(Problem(filename, key_node.start_mark.line + 1, str(key), "yaml_duplicate_key",
                                          params={"key": key}))
            keys.add(key)
            _index(value_node, path + (_scalar_key(key_node),), lines, duplicates, filename, seen)
            lines[path + (_scalar_key(key_node),)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), lines, duplicates, filename, seen)


def _scalar_key(node: yaml.Node) -> Any:
    """Key as the constructed dict will hold it (ints stay ints: `2022: 100` → 2022)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
        try:
            return int(node.value)
        except ValueError:
            return node.value
    return node.value if isinstance(node, yaml.ScalarNode) else id(node)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of the deepest known prefix of `path`."""
    for n in range(len(path), -1, -1):
        line = lines.get(tuple(path[:n]))
        if line is not None:
            return line
    return None
