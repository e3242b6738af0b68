"""Load YAML safely and remember the line of every node, so plan errors can name their line.

Only PyYAML's SafeLoader is used (no object tags). Alias expansion is bounded, which stops
"billion laughs" files before anything walks the expanded tree.

Invariants (tests/test_hostile_plan.py): whatever the text, load_yaml returns plain data or raises
PlanError — never a Python error. Before anything is constructed every node is visited once:
- an alias inside its own anchor (`x: &r [*r]`), nesting deeper than MAX_DEPTH, or more than
  NODE_LIMIT nodes once aliases are expanded stop the load at once;
- a value YAML or Python cannot hold is a problem at its key path and line, all of them listed:
  a day that does not exist (2021-02-30, 0000-01-01), a number with more digits than Python reads,
  a value over MAX_SCALAR characters, a character XML 1.0 cannot hold (written as an escape in a
  quoted string: every plan text reaches Excel and Word files), a key that is a list or a mapping.
"""

from __future__ import annotations

from typing import Any

import yaml

from ipdemo.errors import PlanError, Problem
from ipdemo.plan.text import char_name, first_xml_illegal

NODE_LIMIT = 200_000
MAX_DEPTH = 40  # the shipped plan nests 6 deep
MAX_SCALAR = 20_000  # characters of one value: the plan's longest text (a task's words) is ~200
# Tags whose construction can fail on a value the resolver accepted, and the problem it is then
# (any other tag's failure, `!!bool maybe`: plan_bad_value).
CONSTRUCTED = {
    "tag:yaml.org,2002:timestamp": "plan_bad_date",
    "tag:yaml.org,2002:int": "plan_bad_number",
    "tag:yaml.org,2002:float": "plan_bad_number",
}

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
        walk = _Walk(loader, filename)
        walk.visit(node, (), lines, ())
        if walk.duplicates:
            raise PlanError("yaml_duplicate_key", problems=walk.duplicates, key=walk.duplicates[0].params["key"])
        if walk.problems:
            raise PlanError(walk.problems[0].code, problems=walk.problems, **walk.problems[0].params)
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
        problem = Problem(filename, mark.line + 1 if mark else None, None, "yaml_syntax", params={"reason": reason})
        raise PlanError("yaml_syntax", problems=[problem], reason=reason) from None
    except RecursionError:  # the pure-Python composer nests one call per level
        problem = Problem(filename, None, None, "yaml_too_deep", params={"limit": MAX_DEPTH})
        raise PlanError("yaml_too_deep", problems=[problem], limit=MAX_DEPTH) from None
    finally:
        loader.dispose()
    return data, lines


class _Walk:
    """One pass over the node graph before construction: lines, duplicates and values that cannot
    be held (see the module docstring)."""

    def __init__(self, loader: Any, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.seen = 0
        self.duplicates: list[Problem] = []
        self.problems: list[Problem] = []

    def stop(self, node: yaml.Node, code: str, **params: Any) -> None:
        problem = Problem(self.filename, node.start_mark.line + 1, None, code, params=params)
        raise PlanError(code, problems=[problem], **params)

    def add(self, node: yaml.Node, path: KeyPath, code: str, **params: Any) -> None:
        where = _shown(".".join(str(p) for p in path) or "(top)")
        self.problems.append(
            Problem(self.filename, node.start_mark.line + 1, where, code, params={"where": where, **params})
        )

    def visit(self, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], parents: tuple[int, ...]) -> None:
        self.seen += 1
        if self.seen > NODE_LIMIT:
            self.stop(node, "yaml_too_big", limit=NODE_LIMIT)
        if id(node) in parents:
            self.stop(node, "yaml_recursive", where=_shown(".".join(str(p) for p in path) or "(top)"))
        if len(parents) > MAX_DEPTH:
            self.stop(node, "yaml_too_deep", limit=MAX_DEPTH)
        lines.setdefault(path, node.start_mark.line + 1)
        inside = parents + (id(node),)
        if isinstance(node, yaml.MappingNode):
            keys: set[Any] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.add(key_node, path, "yaml_complex_key")
                    continue
                self.scalar(key_node, path + (_scalar_key(key_node),))
                key = key_node.value
                if key in keys:
                    self.duplicates.append(
                        Problem(
                            self.filename,
                            key_node.start_mark.line + 1,
                            str(key),
                            "yaml_duplicate_key",
                            params={"key": key},
                        )
                    )
                keys.add(key)
                self.visit(value_node, path + (_scalar_key(key_node),), lines, inside)
                lines[path + (_scalar_key(key_node),)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.visit(item, path + (i,), lines, inside)
        else:
            self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: KeyPath) -> None:
        """A value (or key) that YAML resolved but cannot be held: one problem at its path."""
        value = node.value
        if len(value) > MAX_SCALAR:
            self.add(node, path, "plan_value_too_long", length=f"{len(value):,}", limit=f"{MAX_SCALAR:,}")
            return
        bad = first_xml_illegal(value)
        if bad is not None:
            self.add(node, path, "plan_bad_char", char=char_name(value[bad]), position=bad + 1)
            return
        try:  # constructed once: construct_document reuses the loader's constructed objects
            self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:  # an unknown or unsafe tag: load_yaml says so
            raise
        except Exception:  # noqa: BLE001 — PyYAML's constructors raise ValueError, OverflowError,
            # KeyError (!!bool x), AttributeError (!!timestamp x) on a value their tag cannot hold
            self.add(node, path, CONSTRUCTED.get(node.tag, "plan_bad_value"), value=_shown(value))


def _shown(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


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
