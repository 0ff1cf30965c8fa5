"""The IAM policies in docs/aws.md grant exactly the Rekognition operations the integration calls.

botocore's Stubber knows nothing of IAM, so no other test notices a policy that lacks an
operation: an owner who follows the docs would get AccessDenied on exactly that feature. Here the
operations are collected from the code (every ``_call("<Operation>", ...)`` of the client wrapper
in a function something still uses, plus any direct boto3 call, which is refused), compared with
``REKOGNITION_OPERATIONS`` and with both policies in the docs, including which resources each
statement grants an operation on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
from typing import Any

from botocore import xform_name
import botocore.session

from custom_components.smartshop.recognition import (
    REKOGNITION_OPERATIONS,
    RekognitionOperation,
)

ROOT = Path(__file__).parent.parent.parent
PACKAGE = ROOT / "custom_components" / "smartshop"
CLIENT_CLASS = "RecognitionClient"
WRAPPER = "_call"
COLLECTION_ARN = re.compile(r"arn:aws:rekognition:[^:]+:[^:]+:collection/[A-Za-z0-9_.\-<> *]+")
JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)

# The policy docs/aws.md gave before this test existed: it must fail the check.
OLD_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "rekognition:CreateCollection",
                "rekognition:DeleteCollection",
                "rekognition:DescribeCollection",
                "rekognition:ListFaces",
                "rekognition:IndexFaces",
                "rekognition:DeleteFaces",
                "rekognition:DetectFaces",
                "rekognition:SearchFacesByImage",
                "rekognition:SearchFaces",
            ],
            "Resource": "*",
        }
    ],
}


def service_operations() -> dict[str, str]:
    """Every Rekognition API operation, by its boto3 method name (``create_user``)."""
    model = botocore.session.get_session().get_service_model("rekognition")
    return {xform_name(name): name for name in model.operation_names}


# --- what the code calls -------------------------------------------------------------------------

type Def = tuple[str, str]  # (module, qualified name of the innermost function)


@dataclass
class CodeScan:
    """The Rekognition calls found in a package's source."""

    wrapped: dict[Def, set[str]] = field(default_factory=dict)  # _call("Op") per function
    references: dict[str, set[Def | None]] = field(default_factory=dict)  # name -> from where
    problems: list[str] = field(default_factory=list)

    def _live(self, function: Def, seen: frozenset[Def]) -> bool:
        """A client method is live when something live names it; every other function is
        taken as live (Home Assistant calls platforms, flows and actions by convention)."""
        if not function[1].startswith(f"{CLIENT_CLASS}."):
            return True
        name = function[1].rsplit(".", 1)[-1]
        seen |= {function}
        return any(
            referrer is None or (referrer not in seen and self._live(referrer, seen))
            for referrer in self.references.get(name, set())
        )

    @property
    def called(self) -> set[str]:
        """Operations of every live function that calls the wrapper."""
        return {
            operation
            for function, operations in self.wrapped.items()
            if self._live(function, frozenset())
            for operation in operations
        }

    @property
    def unused(self) -> set[str]:
        """Operations only functions nothing uses call."""
        return {op for ops in self.wrapped.values() for op in ops} - self.called


class _Scanner(ast.NodeVisitor):
    def __init__(
        self, module: str, scan: CodeScan, functions: set[str], snake: Mapping[str, str]
    ) -> None:
        self.module = module
        self.scan = scan
        self.functions = functions
        self.snake = snake
        self.path: list[str] = []
        self.function: Def | None = None

    def _where(self, node: ast.AST) -> str:
        return f"{self.module}.py:{getattr(node, 'lineno', '?')}"

    def _scope(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.function
        self.path.append(node.name)
        if not isinstance(node, ast.ClassDef):
            self.function = (self.module, ".".join(self.path))
        self.generic_visit(node)
        self.path.pop()
        self.function = outer

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _scope

    def _reference(self, name: str) -> None:
        self.scan.references.setdefault(name, set()).add(self.function)

    def visit_Name(self, node: ast.Name) -> None:
        self._reference(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._reference(node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) else None
        if name == WRAPPER and isinstance(func, ast.Attribute):
            if not isinstance(literal, str):
                self.scan.problems.append(f"{self._where(node)}: {WRAPPER} without a literal name")
            elif literal not in self.snake.values():
                self.scan.problems.append(f"{self._where(node)}: no operation {literal!r}")
            else:
                where = self.function or (self.module, "")
                self.scan.wrapped.setdefault(where, set()).add(literal)
        elif name in self.snake and name not in self.functions:
            self.scan.problems.append(
                f"{self._where(node)}: {self.snake[name]} called on a boto3 client directly"
            )
        elif name in {"getattr", "get_paginator"} and any(
            isinstance(arg, ast.Constant) and arg.value in self.snake for arg in node.args
        ):
            self.scan.problems.append(f"{self._where(node)}: a boto3 method taken by name")
        elif name == "xform_name" and (self.function or ("", ""))[1] != f"{CLIENT_CLASS}.{WRAPPER}":
            self.scan.problems.append(
                f"{self._where(node)}: operations are called by name only in {WRAPPER}"
            )
        self.generic_visit(node)


def scan_code(sources: Mapping[str, str]) -> CodeScan:
    """Scan modules (name -> source) for Rekognition calls."""
    trees = {module: ast.parse(source) for module, source in sources.items()}
    functions = {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    scan = CodeScan()
    snake = service_operations()
    for module, tree in trees.items():
        _Scanner(module, scan, functions, snake).visit(tree)
    return scan


def package_sources() -> dict[str, str]:
    """Every module of the integration (sub-packages too), by dotted name."""
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path.read_text("utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


# --- what the docs grant -------------------------------------------------------------------------


def policies(markdown: str) -> list[dict[str, Any]]:
    """The IAM policies (JSON blocks with a Statement) of a Markdown page."""
    found = []
    for block in JSON_BLOCK.findall(markdown):
        document = json.loads(block)
        if isinstance(document, dict) and "Statement" in document:
            found.append(document)
    return found


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def grants(policy: Mapping[str, Any]) -> dict[str, set[str]]:
    """Resources granted per action (Allow statements only)."""
    granted: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        for action in _listed(statement["Action"]):
            granted.setdefault(action, set()).update(_listed(statement["Resource"]))
    return granted


def policy_problems(
    policy: Mapping[str, Any], operations: Mapping[str, RekognitionOperation]
) -> list[str]:
    """What is wrong with a policy for these operations: a missing or extra action, a wildcard
    action, or a resource the operation cannot be granted on (per collection or ``*``)."""
    granted = grants(policy)
    wanted = {f"rekognition:{name}" for name in operations}
    problems = [f"missing {action}" for action in sorted(wanted - granted.keys())]
    problems += [f"never called: {action}" for action in sorted(granted.keys() - wanted)]
    scoped = any(resource != "*" for resources in granted.values() for resource in resources)
    for action, resources in sorted(granted.items()):
        operation = operations.get(action.removeprefix("rekognition:"))
        if operation is None:
            continue
        if operation.per_collection and scoped:
            wrong = [r for r in resources if not COLLECTION_ARN.fullmatch(r)]
        else:  # all on "*"; or an operation AWS grants only on "*" (an ARN would never match)
            wrong = [r for r in resources if r != "*"]
        problems += [f"{action} on {resource}" for resource in wrong]
    return problems


# --- tests ---------------------------------------------------------------------------------------


def test_the_operation_list_is_what_the_code_calls() -> None:
    """REKOGNITION_OPERATIONS names every operation the integration calls, and only those;
    every call goes through the client wrapper with a literal operation name."""
    scan = scan_code(package_sources())
    assert scan.problems == []
    assert scan.called == set(REKOGNITION_OPERATIONS), (
        f"called but not listed: {sorted(scan.called - set(REKOGNITION_OPERATIONS))}; "
        f"listed but never called: {sorted(set(REKOGNITION_OPERATIONS) - scan.called)}"
    )
    # The client offers these for tests and tools; nothing in the integration calls them.
    assert scan.unused == {"ListFaces", "ListUsers"}
    for operation in REKOGNITION_OPERATIONS.values():
        assert operation.feature.strip() and not operation.feature.endswith(".")


def test_the_docs_policies_grant_exactly_the_calls() -> None:
    """Both policies in docs/aws.md (all on "*", and one store's collections only) grant every
    operation the code calls, none it never calls, each on resources AWS can scope it to."""
    found = policies((ROOT / "docs" / "aws.md").read_text("utf-8"))
    for policy in found:
        assert policy_problems(policy, REKOGNITION_OPERATIONS) == []
    assert len(found) == 2
    everywhere, scoped = found
    assert {r for rs in grants(everywhere).values() for r in rs} == {"*"}
    scoped_resources = {r for rs in grants(scoped).values() for r in rs}
    assert any(COLLECTION_ARN.fullmatch(r) for r in scoped_resources)
    # The per-store variant keeps every collection operation off "*".
    for action, resources in grants(scoped).items():
        if REKOGNITION_OPERATIONS[action.removeprefix("rekognition:")].per_collection:
            assert "*" not in resources, action


def test_the_configuration_page_lists_the_calls() -> None:
    """docs/configuration.md's list of the operations used on AWS is the code's."""
    text = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    bullet = text.split("- AWS Rekognition in any region", 1)[1].split("\n- ", 1)[0]
    named = set(re.findall(r"\b[A-Z][A-Za-z]+\b", bullet)) & set(service_operations().values())
    assert named == set(REKOGNITION_OPERATIONS)


def test_the_old_policy_fails_the_check() -> None:
    """The policy the docs gave before fails: it lacks the users operations and CompareFaces
    and grants two operations never called."""
    assert policy_problems(OLD_POLICY, REKOGNITION_OPERATIONS) == [
        "missing rekognition:AssociateFaces",
        "missing rekognition:CompareFaces",
        "missing rekognition:CreateUser",
        "missing rekognition:DeleteUser",
        "missing rekognition:DisassociateFaces",
        "missing rekognition:SearchUsersByImage",
        "never called: rekognition:ListFaces",
        "never called: rekognition:SearchFaces",
    ]


def test_wrong_resources_fail_the_check() -> None:
    """DetectFaces on a collection ARN would never match; a collection operation left on "*"
    in a per-store policy, or on something that is not a collection, is refused too."""
    arn = "arn:aws:rekognition:eu-west-2:123456789012:collection/smartshop-x-*"
    operations = {name: REKOGNITION_OPERATIONS[name] for name in ("DetectFaces", "IndexFaces")}

    def policy(*statements: tuple[str, str]) -> dict[str, Any]:
        return {
            "Statement": [
                {"Effect": "Allow", "Action": f"rekognition:{action}", "Resource": resource}
                for action, resource in statements
            ]
        }

    assert policy_problems(policy(("DetectFaces", "*"), ("IndexFaces", arn)), operations) == []
    assert policy_problems(policy(("DetectFaces", "*"), ("IndexFaces", "*")), operations) == []
    assert policy_problems(policy(("DetectFaces", arn), ("IndexFaces", arn)), operations) == [
        f"rekognition:DetectFaces on {arn}"
    ]
    bucket = "arn:aws:s3:::bucket/*"
    assert policy_problems(policy(("DetectFaces", "*"), ("IndexFaces", bucket)), operations) == [
        f"rekognition:IndexFaces on {bucket}"
    ]


def _client_module(*methods: str) -> str:
    body = "\n".join(f"    {method}" for method in methods)
    return (
        f"class {CLIENT_CLASS}:\n    async def {WRAPPER}(self, operation, **params): ...\n{body}\n"
    )


def _ops(scan: CodeScan) -> tuple[set[str], list[str]]:
    return scan.called, [problem.split(": ", 1)[1] for problem in scan.problems]


def test_the_scan_follows_the_calls() -> None:
    """The scan sees an operation only through a client method something uses (also through a
    method picked at run time), and refuses calls that would bypass the wrapper."""
    client = _client_module(
        "async def search(self, by_user):",
        "    one = self._users if by_user else self._faces",
        "    return await one()",
        "async def _users(self): return await self._call('SearchUsersByImage')",
        "async def _faces(self): return await self._call('SearchFacesByImage')",
        "async def list_users(self): return await self._call('ListUsers')",
        "async def helper(self): return await self._call('CreateUser')",
        "async def only_for_list(self): return await self.list_users()",
    )
    used = "async def run(client):\n    await client.search(True)\n"
    assert _ops(scan_code({"recognition": client, "sighting": used})) == (
        {"SearchUsersByImage", "SearchFacesByImage"},
        [],
    )
    # A method used from outside the client (here, list_users) brings its operation in.
    more = used + "async def audit(client):\n    await client.list_users()\n"
    assert "ListUsers" in _ops(scan_code({"recognition": client, "sighting": more}))[0]

    direct = "def bypass(boto):\n    boto.create_user(CollectionId='c', UserId='u')\n"
    dynamic = (
        "async def dynamic(client, name):\n"
        "    await client._call(name)\n"
        "    await client._call('NoSuchOperation')\n"
        "    getattr(client, 'compare_faces')\n"
    )
    scan = scan_code({"recognition": client, "sighting": used + direct + dynamic})
    assert _ops(scan)[1] == [
        "CreateUser called on a boto3 client directly",
        "_call without a literal name",
        "no operation 'NoSuchOperation'",
        "a boto3 method taken by name",
    ]


def test_package_modules_are_all_scanned() -> None:
    """The scan reads every module of the integration, those of future sub-packages too."""
    modules: Iterable[str] = package_sources()
    assert {"recognition", "watchlist", "find_by_face", "erasure", "sighting"} <= set(modules)
