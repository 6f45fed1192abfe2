"""The local engine: runs statemachine/*.asl.json itself on moto's Step Functions interpreter, in-process.

Every Lambda task is routed to the handler template.yaml declares for it; S3, DynamoDB, SES and Step
Functions calls from the handlers hit moto in the same process. The bucket is mirrored to
`<home>/bucket/` and the tables to `<home>/tables/*.json` after every task, so outputs and metrics
survive between runs and nothing already produced is lost when a run fails.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from hookforge.approval.records import ApprovalRecord, Decision, decide
from hookforge.errors import HookforgeError, RunNotFound, RunNotResumable
from hookforge.local import template as tpl
from hookforge.local.environment import (
    ACCOUNT,
    BUCKET,
    LOCAL_NAMES,
    PRIVATE_DIR,
    PRIVATE_FILE,
    REGION,
    STATE_MACHINE,
    STATE_MACHINE_NAME,
    local_environment,
    private_dir,
    write_private,
)
from hookforge.local.journal import Journal, Replay, digest
from hookforge.local.staging import stage_brief

#: one lock for every DynamoDB request to the in-process moto: a conditional write's check and its write are not
#: atomic across threads (the approval server's), while DynamoDB lets exactly one conditional write through; and
#: moto copies an item outside its write (update_item deep-copies it first), so reads and writes alike must not
#: interleave. Re-entrant, in case a request handler calls another.
_DYNAMODB_REQUESTS = threading.RLock()
#: the home and its state files hold signed links and task tokens: the owner's only


def project_root() -> Path:
    """The folder holding template.yaml (the package lives in <root>/layers/hookforge/hookforge)."""
    from hookforge.config import Settings

    configured = Settings.from_env().project_root
    if configured:
        return Path(configured)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").exists() and (parent / "statemachine").is_dir():
            return parent
    raise HookforgeError("cannot find template.yaml; run from a hookforge checkout or set HOOKFORGE_PROJECT_ROOT")


class Chooser(Protocol):
    """Answers a pending selection: a Decision, or None to be asked again shortly."""

    def __call__(self, engine: LocalEngine, record: ApprovalRecord) -> Decision | None: ...


def pick(n: int, *, motion_prompt: str | None = None) -> Chooser:
    """A chooser that always picks candidate `n` (1-based): `hookforge run --pick N`."""

    def choose(engine: LocalEngine, record: ApprovalRecord) -> Decision:
        # a number out of range is refused by `decide` (DecisionInvalid) before anything is written
        return Decision(action="pick", index=n, motion_prompt=motion_prompt, decided_by="--pick")

    return choose


@dataclass
class RunResult:
    run_id: str
    execution_arn: str
    status: str
    error: str | None = None
    message: str | None = None
    failed_state: str | None = None
    run_dir: Path | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


class VirtualClock:
    """Wall time plus the seconds Wait states skipped when time_scale < 1."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


class _LambdaContext:
    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


_ACTIVE: LocalEngine | None = None


def _dynamodb_backend() -> Any:
    """moto's DynamoDB of the local engine's account and region (read and written under `_DYNAMODB_REQUESTS`)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _mirror_tables() -> dict[str, list[dict[str, Any]]]:
    """Every table's items in DynamoDB's JSON (what a Scan answers), read from moto's backend in one pass.

    Not a paginated Scan: moto walks the table from its first item for every page, so mirroring a table of
    100 000 day rows that way took longer than the import that wrote them. Read under the DynamoDB lock, so a
    mirror never holds half of a batch. hookforge's tables hold no binary attributes (the mirror is JSON)."""
    with _DYNAMODB_REQUESTS:
        tables = _dynamodb_backend().tables
        return {name: [item.to_json()["Attributes"] for item in table.all_items()] for name, table in tables.items()}


def _put_table_items(name: str, items: list[dict[str, Any]]) -> None:
    """Put a mirror's items (DynamoDB JSON, as `_mirror_tables` reads them) back into one table through moto's
    backend: the same puts as BatchWriteItem without a request's serializing and parsing per 25 items, which made
    a service start on a home of 100 000 day rows take 25 s."""
    with _DYNAMODB_REQUESTS:
        backend = _dynamodb_backend()
        for item in items:
            backend.put_item(name, item)


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method` of moto's DynamoDB request handler, run under the process-wide DynamoDB lock."""

    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _DYNAMODB_REQUESTS:
            return method(*args, **kwargs)

    return locked


#: definitions moto's ASL parser has accepted in this process (parsing one takes 0.1-0.2 s)
_VALID_DEFINITIONS: set[str] = set()


def _validated_once(validate: Callable[..., Any]) -> Callable[..., Any]:
    """moto's state machine definition check, skipped for a definition it has already accepted in this process:
    each engine creates the same state machine, and the check parses it in full each time."""

    def check(definition: str) -> None:
        key = hashlib.sha256(definition.encode("utf-8")).hexdigest()
        if key not in _VALID_DEFINITIONS:
            validate(definition=definition)  # raises InvalidDefinition: an invalid one is checked every time
            _VALID_DEFINITIONS.add(key)

    return check


def _route_invoke(
    self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
) -> bytes:
    """Replacement for moto's LambdaSimpleBackend.invoke: run the real handler, report errors like AWS."""
    engine = _ACTIVE
    if engine is None:  # pragma: no cover - only when a test forgets the engine
        raise RuntimeError("no local engine is active")
    payload, failed = engine.invoke(function_name.rsplit(":", 1)[-1], body)
    if failed:
        response_headers["x-amz-function-error"] = "Unhandled"  # so Retry/Catch behave as on AWS
    return payload


class LocalEngine:
    """Runs the hook pipeline locally. Use as a context manager (it starts and stops moto)."""

    def __init__(self, home: Path | str = ".hookforge", *, root: Path | None = None, time_scale: float = 1.0) -> None:
        self.home = Path(home).resolve()
        self.root = root or project_root()
        self.time_scale = time_scale
        self.clock = VirtualClock()
        self.template = tpl.load_template(self.root / "template.yaml")
        self.functions = tpl.functions(self.template)
        self.invocations: list[tuple[str, float]] = []
        #: (run_id, logical id of the function) -> "exception" | "timeout" | "throttle": make that task fail
        self.faults: dict[tuple[str, str], str] = {}
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._mock: Any = None
        self._patches: list[tuple[Any, str, Any]] = []
        self._saved_env: dict[str, str | None] = {}
        self._known_etags: dict[str, str] = {}
        self._sync_lock = threading.RLock()
        # sync coalescing: parallel Map iterations each ask for a sync; a mirror taken after a request
        # covers it, so covered requests return at once instead of queueing behind the lock
        self._sync_requested = 0
        self._sync_covered = 0
        self._sync_counter = threading.Lock()
        #: the engine's S3 client, made with its resources: the state load and every mirror use it
        self._s3: Any = None
        self._log_stream: Any = None
        self.deps: Any = None
        self.state_machine_arn = ""
        #: what each run's tasks returned, for `resume` (see hookforge.local.journal)
        self.journal = Journal(self.home)
        #: run_id -> the recorded outcomes a resumed run replays
        self.replays: dict[str, Replay] = {}
        #: task token -> (run_id, function, event) of the `.waitForTaskToken` task it belongs to
        self._tokens: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self._resume_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalEngine:
        global _ACTIVE
        if _ACTIVE is not None:
            raise HookforgeError("another local engine is already running in this process")
        from moto import mock_aws

        self._set_env()
        self._mock = mock_aws(
            config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        self._mock.start()
        _ACTIVE = self
        try:
            self._patch_moto()
            self._quiet_logs()
            self._build_resources()
            self._load_state()
            from hookforge.deps import Deps

            Deps.reset()
            self.deps = Deps.current()
            self.deps.clock = self.clock
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        global _ACTIVE
        try:
            if self._mock is not None and self.deps is not None:
                self._stop_running_executions()
                self.sync()
        finally:
            for owner, name, original in reversed(self._patches):
                setattr(owner, name, original)
            self._patches.clear()
            if self._log_stream is not None:
                self._log_stream.close()
                self._log_stream = None
            if self._mock is not None:
                self._mock.stop()
                self._mock = None
            from hookforge.deps import Deps

            Deps.reset()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            _ACTIVE = None

    def _stop_running_executions(self) -> None:
        """Executions still waiting (e.g. for a pick) end with the engine instead of running on in threads."""
        sfn = self.deps.client("stepfunctions")
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
        ):
            for execution in page["executions"]:
                sfn.stop_execution(executionArn=execution["executionArn"], cause="the local engine stopped")

    def _set_env(self) -> None:
        from hookforge.deps import local_key

        private_dir(self.home)  # signed links and task tokens live here: the owner's only
        local_key(self.home)  # created once, private from its first byte
        # fake credentials: a local run can never reach a real account, whatever the shell has set
        for key, value in local_environment(self.home).items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        from hookforge.config import settings

        settings.cache_clear()

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        # a class's own attribute is kept as defined (a staticmethod stays one when it is put back)
        original = vars(owner)[name] if isinstance(owner, type) and name in vars(owner) else getattr(owner, name)
        self._patches.append((owner, name, original))
        setattr(owner, name, replacement)

    def _patch_moto(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.dynamodb.responses import DynamoHandler
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend
        from moto.stepfunctions.responses import StepFunctionResponse

        self._patch(LambdaSimpleBackend, "invoke", _route_invoke)
        validate = StepFunctionsParserBackend._validate_definition
        self._patch(StepFunctionsParserBackend, "_validate_definition", staticmethod(_validated_once(validate)))
        clock, scale = self.clock, self.time_scale

        replays = self.replays

        def scaled_wait(fn_self: Any, env: Any, wait_seconds: int) -> None:
            real = max(0.0, wait_seconds * scale)
            try:
                name = env.states.context_object.context_object_data["Execution"]["Name"]
            except (AttributeError, KeyError, TypeError):
                name = None
            replay = replays.get(name) if name else None
            if replay is not None and replay.pending:
                real = 0.0  # a resumed run walks its recorded path: the waits were already waited
            if real > 0:
                env.program_state_event.wait(real)
            clock.advance(wait_seconds - real)

        self._patch(WaitFunction, "_wait_interval", scaled_wait)

        class _ScaledTime:
            """`time` for the retrier: Retry intervals shrink with time_scale too."""

            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(seconds: float) -> None:
                time.sleep(seconds * scale)
                clock.advance(seconds - seconds * scale)

        self._patch(retrier_decl, "time", _ScaledTime())
        engine = self

        def send_task_success(response: Any) -> Any:
            token, output = response._get_param("taskToken"), response._get_param("output")
            result = original_success(response)
            engine._answered(token, {"answer": "success", "output": output})
            return result

        def send_task_failure(response: Any) -> Any:
            """moto 5.2 drops SendTaskFailure's `cause`; AWS passes it on (the Regenerate loop needs the feedback)."""
            from moto.core.responses import EmptyResult

            token = response._get_param("taskToken")
            error, cause = response._get_param("error"), response._get_param("cause")
            response.stepfunction_backend.send_task_failure(token, error=error, cause=cause)
            engine._answered(token, {"answer": "failure", "error": error, "cause": cause})
            return EmptyResult()

        original_success = StepFunctionResponse.send_task_success
        self._patch(StepFunctionResponse, "send_task_success", send_task_success)
        self._patch(StepFunctionResponse, "send_task_failure", send_task_failure)
        # one conditional write wins, as on AWS: 20 simultaneous picks of one approval get one 200
        self._patch(DynamoHandler, "call_action", _serialized(DynamoHandler.call_action))

    def _quiet_logs(self) -> None:
        """moto logs every caught task failure with a traceback; the run record says it better."""
        for name in ("moto.stepfunctions", "moto.stepfunctions.parser"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        log_dir = private_dir(self.home / "logs")
        hook_logger = logging.getLogger("hookforge")  # the service name the engine gives Powertools above
        from hookforge.observability import logger  # noqa: F401 - creates the handler we redirect

        fd = os.open(log_dir / "hookforge.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        stream = os.fdopen(fd, "a", encoding="utf-8")
        self._log_stream = stream
        for handler in hook_logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                self._patches.append((handler, "stream", handler.stream))
                handler.setStream(stream)

    # ------------------------------------------------------------------ resources
    def _build_resources(self) -> None:
        from hookforge.sessions import boto_session

        session = boto_session()  # the engine's resources, made in the moto it has just started
        s3 = self._s3 = session.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        ddb = session.client("dynamodb", region_name=REGION)
        for logical_id, kwargs in tpl.tables(self.template).items():
            ddb.create_table(TableName=LOCAL_NAMES.get(logical_id, f"hookforge-local-{logical_id}"), **kwargs)
        secretsmanager = session.client("secretsmanager", region_name=REGION)
        from hookforge.deps import local_key

        key = local_key(self.home).decode()
        secretsmanager.create_secret(Name="hookforge/approval-signing-key", SecretString=key)
        ses = session.client("ses", region_name=REGION)
        ses.verify_email_identity(EmailAddress="hookforge@example.com")
        machine = tpl.state_machines(self.template)[STATE_MACHINE]
        definition = (self.root / machine["definition_uri"]).read_text(encoding="utf-8")
        for name, logical_id in machine["substitutions"].items():
            definition = definition.replace("${" + name + "}", self.function_arn(logical_id))
        sfn = session.client("stepfunctions", region_name=REGION)
        self.state_machine_arn = sfn.create_state_machine(
            name=STATE_MACHINE_NAME,
            definition=definition,
            type="STANDARD",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/hookforge-local",
        )["stateMachineArn"]
        self._saved_env.setdefault("STATE_MACHINE_ARN", os.environ.get("STATE_MACHINE_ARN"))
        os.environ["STATE_MACHINE_ARN"] = self.state_machine_arn

    @staticmethod
    def function_arn(logical_id: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:hookforge-{logical_id}"

    # ------------------------------------------------------------------ lambda routing
    def handler(self, logical_id: str) -> Callable[..., Any]:
        if logical_id not in self._handlers:
            spec = self.functions[logical_id]
            self._handlers[logical_id] = getattr(import_module(spec.module), spec.handler)
        return self._handlers[logical_id]

    def invoke(self, function_name: str, body: Any) -> tuple[bytes, bool]:
        """Run the handler for `function_name`; (payload, failed) as the Lambda service would report it."""
        logical_id = function_name.removeprefix("hookforge-")
        event = json.loads(body) if body else {}
        run_id = event.get("run_id") if isinstance(event, dict) else None
        run_id = run_id if isinstance(run_id, str) else None
        replayed, result = self._replayed(run_id, logical_id, event)
        if replayed:
            return json.dumps(result).encode(), False
        started = time.perf_counter()
        try:
            self._inject_fault(logical_id, event)
            token = event.get("task_token") if isinstance(event, dict) else None
            if run_id and isinstance(token, str):
                self._tokens[token] = (run_id, logical_id, event)
            result = self.handler(logical_id)(event, _LambdaContext(function_name))
            payload, failed = json.dumps(result).encode(), False
            if run_id:
                self.journal.task(run_id, logical_id, event, result)
        except Exception as e:  # noqa: BLE001 - becomes a Lambda function error, exactly as on AWS
            error = {
                "errorType": type(e).__name__,
                "errorMessage": str(e),
                "stackTrace": traceback.format_tb(e.__traceback__)[-3:],
            }
            payload, failed = json.dumps(error).encode(), True
        finally:
            self.invocations.append((logical_id, time.perf_counter() - started))
            self.sync()
        return payload, failed

    # ------------------------------------------------------------------ journal and resume
    def _replayed(self, run_id: str | None, logical_id: str, event: Any) -> tuple[bool, Any]:
        """(True, recorded output) when a resumed run reaches a task it already completed."""
        replay = self.replays.get(run_id) if run_id else None
        if replay is None or not isinstance(event, dict):
            return False, None
        key = digest(logical_id, event)
        found, output = replay.next_task(key)
        if not found:
            return False, None
        token = event.get("task_token")
        if isinstance(token, str):
            answer = replay.next_answer(key)
            self._tokens[token] = (str(run_id), logical_id, event)
            if answer is not None:  # decided before the interruption: the same decision answers the new token
                threading.Thread(target=self._replay_answer, args=(token, answer), daemon=True).start()
            else:  # still undecided: the reviewer's link stays valid, now answering the new token
                self.deps.approvals.retoken(str(run_id), token)
        replay.reused.append(logical_id)
        return True, output

    def _replay_answer(self, token: str, answer: dict[str, Any]) -> None:
        sfn = self.deps.client("stepfunctions")
        for _ in range(200):  # the task registers its token as its Lambda call returns
            try:
                if answer.get("answer") == "success":
                    sfn.send_task_success(taskToken=token, output=answer.get("output") or "{}")
                else:
                    sfn.send_task_failure(
                        taskToken=token, error=answer.get("error") or "", cause=answer.get("cause") or ""
                    )
                return
            except Exception:  # noqa: BLE001 - not registered yet: try again shortly
                time.sleep(0.05)

    def _answered(self, token: str | None, answer: dict[str, Any]) -> None:
        """A `.waitForTaskToken` task was answered: journal it, so a resume answers the same way."""
        known = self._tokens.pop(token, None) if token else None
        if known is not None:
            run_id, logical_id, event = known
            self.journal.answer(run_id, logical_id, event, answer)

    def running(self, run_id: str) -> bool:
        """Whether an execution of `run_id` is running in this engine."""
        sfn = self.deps.client("stepfunctions")
        arn = f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{run_id}"
        try:
            return bool(sfn.describe_execution(executionArn=arn)["status"] == "RUNNING")
        except Exception:  # noqa: BLE001 - no such execution here
            return False

    def resume(self, run_id: str) -> tuple[str, str]:
        """Continue a run interrupted by a killed engine or a reboot: the state machine runs again under the same
        name and every task completed before the interruption returns its recorded output (no paid step twice)."""
        run = self.deps.runs.get(run_id)
        execution_input = self.journal.start_input(run_id)
        if run is None and execution_input is None:
            raise RunNotFound(f"no run {run_id!r} in {self.home}")
        status = str((run or {}).get("status", "RUNNING"))
        if status == "SUCCEEDED":
            raise RunNotResumable(
                f"run {run_id} has finished; its files are in {self.home / 'bucket' / 'runs' / run_id}"
            )
        if status == "FAILED":
            error = (run or {}).get("error", "an error")
            raise RunNotResumable(f"run {run_id} failed for good ({error}); fix the cause and start a new run")
        with self._resume_lock:
            if self.running(run_id):
                raise RunNotResumable(f"run {run_id} is already running (resumed by another command, or never stopped)")
            if execution_input is None:
                execution_input = {"brief_key": str((run or {}).get("brief_key", ""))}
            self.replays[run_id] = self.journal.replay(run_id)
            arn = self.deps.client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn, name=run_id, input=json.dumps(execution_input)
            )["executionArn"]
        return run_id, arn

    def _inject_fault(self, logical_id: str, event: dict[str, Any]) -> None:
        """Fail this invocation the way AWS would, when a test asked for it (see `faults`)."""
        kind = self.faults.get((str(event.get("run_id", "")), logical_id))
        if kind == "exception":
            raise InjectedFault(f"fault injected into {logical_id}")
        if kind == "timeout":
            raise SandboxTimedout(f"{logical_id}: Task timed out after 60.00 seconds")
        if kind == "throttle":
            from hookforge.errors import ProviderThrottled

            raise ProviderThrottled(f"{logical_id}: 429 Too Many Requests (injected)")

    # ------------------------------------------------------------------ persistence
    def _load_state(self) -> None:
        bucket_dir = self.home / "bucket"
        s3 = self._s3
        self._tighten_state_files()
        for stale in (self.home / ".tmp").glob("*.tmp"):  # a mirror interrupted mid-write
            stale.unlink(missing_ok=True)
        if bucket_dir.is_dir():
            for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
                key = path.relative_to(bucket_dir).as_posix()
                s3.upload_file(str(path), BUCKET, key)
        self._known_etags = self._etags(s3)
        for table_file in sorted((self.home / "tables").glob("*.json")):
            _put_table_items(table_file.stem, json.loads(table_file.read_text(encoding="utf-8")))

    def _tighten_state_files(self) -> None:
        """A home written before files were private: its folders become 0700 and its files 0600."""
        for folder in ("bucket", "tables", "logs"):
            root = self.home / folder
            if not root.is_dir():
                continue
            for path in [root, *root.rglob("*")]:
                mode = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
                if not path.is_symlink() and os.stat(path).st_mode & 0o077:
                    os.chmod(path, mode)

    @staticmethod
    def _etags(s3: Any) -> dict[str, str]:
        etags: dict[str, str] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            etags.update({obj["Key"]: obj["ETag"] for obj in page.get("Contents", [])})
        return etags

    def sync(self) -> None:
        """Mirror the bucket (changed objects only) and every table to the home folder."""
        with self._sync_counter:
            self._sync_requested += 1
            mine = self._sync_requested
        with self._sync_lock:
            if self._sync_covered >= mine:
                return  # a mirror that started after this request already holds its writes
            with self._sync_counter:
                covering = self._sync_requested
            s3 = self._s3
            bucket_dir = self.home / "bucket"
            tmp_dir = private_dir(self.home / ".tmp")  # beside the mirrors: os.replace stays on one file system
            current = self._etags(s3)
            for key, etag in current.items():
                if self._known_etags.get(key) != etag:
                    target = bucket_dir / key
                    private_dir(target.parent)
                    write_private(target, functools.partial(s3.download_fileobj, BUCKET, key), tmp_dir)
            for key in set(self._known_etags) - set(current):
                (bucket_dir / key).unlink(missing_ok=True)
            self._known_etags = current
            tables_dir = private_dir(self.home / "tables")
            for name, items in _mirror_tables().items():
                write_private(tables_dir / f"{name}.json", json.dumps(items).encode("utf-8"), tmp_dir)
            self._sync_covered = covering

    # ------------------------------------------------------------------ running
    def submit_brief(self, brief: Path | bytes, *, name: str | None = None) -> str:
        """Put a brief file into briefs/ (as an S3 upload would) and return its key."""
        return stage_brief(self.deps.store, brief, name)

    def start(self, brief_key: str, *, run_id: str | None = None) -> tuple[str, str]:
        run_id = run_id or new_run_id()
        execution_input = {"brief_key": brief_key}
        self.journal.started(run_id, execution_input)
        arn = self.deps.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, name=run_id, input=json.dumps(execution_input)
        )["executionArn"]
        return run_id, arn

    def states_entered(self, execution_arn: str) -> list[str]:
        events = self.deps.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def wait(
        self,
        run_id: str,
        execution_arn: str,
        *,
        chooser: Chooser | None = None,
        on_state: Callable[[str], None] | None = None,
        poll: float = 0.1,
    ) -> RunResult:
        sfn = self.deps.client("stepfunctions")
        seen = 0
        while True:
            desc = sfn.describe_execution(executionArn=execution_arn)
            if on_state is not None:
                names = self.states_entered(execution_arn)
                for name in names[seen:]:
                    on_state(name)
                seen = len(names)
            if desc["status"] != "RUNNING":
                break
            if chooser is not None:
                record = self.deps.approvals.pending_for_run(run_id)
                if record is not None:
                    decision = chooser(self, record)
                    if decision is not None:
                        decide(self.deps.approvals, sfn, record.approval_id, decision, now=int(self.clock()))
            time.sleep(poll)
        self.sync()
        return self._result(run_id, execution_arn, desc)

    def _result(self, run_id: str, execution_arn: str, desc: dict[str, Any]) -> RunResult:
        run = self.deps.runs.get(run_id) or {}
        output = json.loads(desc.get("output") or "{}")
        run_dir = self.home / "bucket" / "runs" / run_id
        outputs = {
            aspect: self.home / "bucket" / key
            for aspect, key in (output.get("render", {}) or {}).get("outputs", {}).items()
        }
        return RunResult(
            run_id=run_id,
            execution_arn=execution_arn,
            status=desc["status"],
            error=run.get("error") or desc.get("error"),
            message=run.get("error_message") or desc.get("cause"),
            failed_state=run.get("failed_state"),
            run_dir=run_dir if run_dir.exists() else None,
            outputs=outputs,
            output=output,
        )

    def run(
        self,
        brief: Path | bytes,
        *,
        chooser: Chooser | None = None,
        on_state: Callable[[str], None] | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        key = self.submit_brief(brief)
        run_id, arn = self.start(key, run_id=run_id)
        return self.wait(run_id, arn, chooser=chooser, on_state=on_state)

    def upload(self, key: str, data: bytes) -> dict[str, Any]:
        """Put an object into the bucket and deliver its EventBridge `Object Created` event to its rule's target
        (ReportImport for `reports/`, StartRun otherwise), as template.yaml routes it."""
        self.deps.store.put_bytes(key, data)
        return self.deliver(key)

    def deliver(self, key: str) -> dict[str, Any]:
        """(Re)deliver the `Object Created` event of an existing object, as EventBridge may do more than once."""
        head = self.deps.store.head(key) or {}
        event = {
            "version": "0",
            "source": "aws.s3",
            "detail-type": "Object Created",
            "account": ACCOUNT,
            "region": REGION,
            "detail": {
                "bucket": {"name": BUCKET},
                "object": {
                    "key": key,
                    "size": head.get("ContentLength", 0),
                    "etag": head.get("ETag", "").strip('"'),
                    "version-id": head.get("VersionId"),
                },
                "reason": "PutObject",
            },
        }
        # template.yaml: ReportImportFunction's rule matches the reports/ prefix, StartRunFunction's briefs/, uploads/
        target = "ReportImport" if key.startswith("reports/") else "StartRun"
        payload, failed = self.invoke(f"hookforge-{target}Function", json.dumps(event))
        result: dict[str, Any] = json.loads(payload)
        if failed:
            raise HookforgeError(f"{target} failed: {result.get('errorType')}: {result.get('errorMessage')}")
        return result

    def export(self, result: RunResult, out_dir: Path) -> Path:
        """Copy the run's folder (hooks, poster, preview, candidates, records) to <out>/<run_id>/."""
        target = Path(out_dir) / result.run_id
        if result.run_dir is not None:
            shutil.copytree(result.run_dir, target, dirs_exist_ok=True)
        return target


class InjectedFault(RuntimeError):
    """An unexpected exception inside a handler, injected by a test."""


class SandboxTimedout(RuntimeError):
    """What Lambda reports when a function runs past its timeout."""


SandboxTimedout.__name__ = "Sandbox.Timedout"


def new_run_id() -> str:
    """A run id; its last part is the hook id's (`hk-<10 hex>`), known before the run starts."""
    return f"run-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(5)}"
