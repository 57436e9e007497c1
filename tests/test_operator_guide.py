"""docs/operator-guide.md, run the way an operator runs it: one real ``piaojue`` process per step.

Each "machine" of the guide is a directory with its own environment: the
server (the only one with ``DATABASE_URL`` and ``PIAOJUE_SECRET_KEY``), one
offline laptop per trustee (监票人) and the offline credential computer.
Files are carried between them as on a USB stick. Casting has no CLI (the
booth runs in the tablet's browser), so the four ballots are made as a tablet
makes them (tests/tablet.py) and cast in-process through the cast service.

The module fixture runs the guide up to the trustees' decryption shares and
keeps a copy of the database; the first test finishes the count and
verifies the record, the second replays the import of shares on the copy
with a forged share and a wrong passphrase.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from admin.config import at_rest_key
from ballot.db import make_engine, make_sessionmaker
from ballot.errors import CastRefused
from ballot.services import casting, rounds
from tests.tablet import encrypt_marks, sign_with_code

pytestmark = pytest.mark.slow

PIAOJUE = Path(sys.executable).parent / "piaojue"
ELECTION = "xiangjiang-2026"
ROUND = "selection-1"
TRUSTEES = {1: "张建国", 2: "李秀英", 3: "王志强"}
DECRYPTING = (1, 3)  # any 2 of the 3 监票人
PASSPHRASE = "correct horse battery staple"
SECRET_KEY = secrets.token_hex(32)

DEPUTIES = """座位号,姓名,代表团
001,王建国,第一代表团
002,李秀英,第一代表团
003,张志强,第二代表团
004,刘丽华,第二代表团
005,陈明军,第三代表团
006,杨海燕,第三代表团
"""
PROJECTS = """编号,项目名称,类别,估算金额,地点,实施单位
P01,老旧小区改造提质,城乡建设,3200,12个老旧小区,住建局
P02,社区居家养老服务中心,养老,1200,8个社区,民政局
P03,中小学校午餐配送,教育,900,全区中小学,教育局
P04,农贸市场标准化改造,商贸流通,1500,城区5个农贸市场,商务局
"""
# (赞成, 反对) per project, one list per deputy: P01 and P02 get 4 赞成 each,
# more than half of the 6 enrolled, and take the 2 seats.
MARKS = [
    [[1, 0], [1, 0], [0, 1], [0, 0]],
    [[1, 0], [1, 0], [0, 0], [0, 1]],
    [[1, 0], [1, 0], [0, 0], [0, 0]],
    [[1, 0], [1, 0], [0, 1], [0, 1]],
]


@dataclass
class Machine:
    """A working directory and the environment its commands run in."""

    cwd: Path
    env: dict[str, str]

    def __post_init__(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(PIAOJUE), *args], cwd=self.cwd, env=self.env, check=False,
                              capture_output=True, text=True, encoding="utf-8", timeout=120)
        assert done.returncode == status, (
            f"piaojue {' '.join(args)} exited {done.returncode}, not {status}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        return done

    def out(self, *args: str) -> str:
        return self.run(*args).stdout

    def receive(self, source: Path) -> Path:
        """Carry a file here, as on a USB stick."""
        return Path(shutil.copy(source, self.cwd / source.name))


@dataclass
class Guide:
    root: Path
    server: Machine
    trustees: dict[int, Machine]
    clerk: Machine
    database: Path
    snapshot: Path
    codes: list[str] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)


def _environments(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "PIAOJUE_SECRET_KEY", "PIAOJUE_PASSPHRASE",
                         "PIAOJUE_INSTANCE")}
    base["PYTHONIOENCODING"] = "utf-8"
    server = {**base, "DATABASE_URL": f"sqlite:///{root / 'guide.sqlite'}",
              "PIAOJUE_INSTANCE": str(root / "instance"), "PIAOJUE_SECRET_KEY": SECRET_KEY}
    offline = {**base, "PIAOJUE_INSTANCE": str(root / "offline-instance"),
               "PIAOJUE_PASSPHRASE": PASSPHRASE}
    return server, offline


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _ceremony(g: Guide) -> None:
    """Guide §3: each 监票人 on their own laptop, the server relays public files."""
    server, trustees = g.server, g.trustees

    def step(make: str, *, verb: str, ceremony: Path | None = None) -> list[Path]:
        handed = []
        for i, laptop in trustees.items():
            key = f"trustee-{i}.key"
            extra = ["--ceremony", ceremony.name] if ceremony else []
            if ceremony:
                laptop.receive(ceremony)
            out = laptop.out("trustee", verb, "--key", key, *extra, "--out", f"{make}-{i}.json")
            assert f"{make}-{i}.json" in out
            assert _mode(laptop.cwd / key) == 0o600
            handed.append(server.receive(laptop.cwd / f"{make}-{i}.json"))
        return handed

    transport = []
    for i, laptop in trustees.items():
        out = laptop.out("trustee", "init", "--election", ELECTION, "--index", str(i),
                         "--trustees", "3", "--threshold", "2", "--key", f"trustee-{i}.key",
                         "--out", f"transport-{i}.json")
        assert "keep it and its passphrase safe" in out
        assert _mode(laptop.cwd / f"trustee-{i}.key") == 0o600
        transport.append(server.receive(laptop.cwd / f"transport-{i}.json"))
    out = server.out("election", "import", ELECTION, *(p.name for p in transport))
    for i, name in TRUSTEES.items():
        assert f"trustee {i} ({name}): transport key registered" in out
    # A trustee cannot overwrite a key file by running init twice.
    again = trustees[1].run("trustee", "init", "--election", ELECTION, "--index", "1",
                            "--trustees", "3", "--threshold", "2", "--key", "trustee-1.key",
                            "--out", "transport-1.json", status=1)
    assert "refusing to overwrite a key file" in again.stderr

    out = server.out("election", "import", ELECTION,
                     *(p.name for p in step("commitment", verb="commit")))
    assert out.count("commitments and proofs verified") == 3

    assert "wrote ceremony-commitments.json" in server.out(
        "election", "export-ceremony", ELECTION, "--out", "ceremony-commitments.json")
    shares = step("shares", verb="shares", ceremony=server.cwd / "ceremony-commitments.json")
    out = server.out("election", "import", ELECTION, *(p.name for p in shares))
    assert out.count("3 sealed shares relayed") == 3

    server.out("election", "export-ceremony", ELECTION, "--out", "ceremony-shares.json")
    checked = step("verification", verb="verify", ceremony=server.cwd / "ceremony-shares.json")
    out = server.out("election", "import", ELECTION, *(p.name for p in checked))
    assert "the ceremony is complete, joint key " in out
    prefix = out.split("joint key ")[1][:16]

    status = server.out("election", "status", ELECTION)
    assert f"{ELECTION}  湘江区第十八届人民代表大会第六次会议  (ready)" in status
    assert f"joint key {prefix}" in status
    for i, name in TRUSTEES.items():
        assert f"trustee {i} {name}: ✔ transport  ✔ commit  ✔ verify" in status


def _credentials(g: Guide) -> None:
    """Guide §4: slips made on the offline credential computer, public keys uploaded."""
    server, clerk = g.server, g.clerk
    out = clerk.out("credentials", "generate", "--election", ELECTION, "--round", ROUND,
                    "--count", "6", "--codes-out", "codes.csv", "--keys-out", "keys.json")
    assert "6 slips: codes in codes.csv (print, then destroy), keys in keys.json" in out
    assert _mode(clerk.cwd / "codes.csv") == 0o600
    with (clerk.cwd / "codes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [row["code"] for row in rows]
    assert all(row["key_tag"].replace(" ", "") == row["public_key"][:16] for row in rows)
    keys = json.loads((clerk.cwd / "keys.json").read_text(encoding="utf-8"))["keys"]
    assert len(codes) == len(keys) == 6
    server.receive(clerk.cwd / "keys.json")
    assert "board entry 1: 6 credentials issued" in server.out(
        "credentials", "upload", ELECTION, ROUND, "keys.json")

    # The sixth slip is lost: void it by the key tag on its counterfoil, make one more.
    assert "board entry 2: credential voided" in server.out(
        "credentials", "void", ELECTION, ROUND, rows[5]["key_tag"])
    clerk.out("credentials", "generate", "--election", ELECTION, "--round", ROUND,
              "--count", "1", "--codes-out", "codes-2.csv", "--keys-out", "keys-2.json")
    assert _mode(clerk.cwd / "codes-2.csv") == 0o600
    with (clerk.cwd / "codes-2.csv").open(encoding="utf-8", newline="") as f:
        codes += [row["code"] for row in csv.DictReader(f)]
    server.receive(clerk.cwd / "keys-2.json")
    assert "board entry 3: 1 credentials issued" in server.out(
        "credentials", "upload", ELECTION, ROUND, "keys-2.json")
    # Uploading the same keys twice is refused.
    twice = server.run("credentials", "upload", ELECTION, ROUND, "keys-2.json", status=1)
    assert "1 of these keys were issued already" in twice.stderr
    g.codes = codes


def _cast(g: Guide) -> None:
    """The booth's part, in-process: four deputies vote with slips 1-3 and the replacement."""
    voters = [*g.codes[:3], g.codes[6]]
    engine = make_engine(g.server.env["DATABASE_URL"])
    try:
        sessions = make_sessionmaker(engine)
        with pytest.MonkeyPatch.context() as mp:
            for name in ("DATABASE_URL", "PIAOJUE_INSTANCE", "PIAOJUE_SECRET_KEY"):
                mp.setenv(name, g.server.env[name])
            at_rest = at_rest_key()
        for code, marks in zip(voters, MARKS, strict=True):
            with sessions.begin() as s:
                round_ = rounds.get_round(s, ELECTION, ROUND)
                prepared = encrypt_marks(round_, marks)
                public_key, signature = sign_with_code(round_, code, prepared)
                receipt = casting.cast(s, round_, prepared.ballot, public_key, signature,
                                       at_rest)
            g.receipts.append(receipt.to_json())
        with sessions.begin() as s:  # the lost, voided slip is refused
            round_ = rounds.get_round(s, ELECTION, ROUND)
            prepared = encrypt_marks(round_, MARKS[0])
            lost = sign_with_code(round_, g.codes[5], prepared)
            with pytest.raises(CastRefused, match="voided"):
                casting.cast(s, round_, prepared.ballot, *lost, at_rest)
    finally:
        engine.dispose()
    (g.root / "deputy").mkdir()
    (g.root / "deputy" / "receipt.json").write_text(json.dumps(g.receipts[0]),
                                                    encoding="utf-8")


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Guide:
    """The guide from `db upgrade` to the 监票人's decryption shares, checked at each step."""
    root = tmp_path_factory.mktemp("guide")
    server_env, offline_env = _environments(root)
    g = Guide(root=root, server=Machine(root / "server", server_env),
              trustees={i: Machine(root / f"trustee-{i}", offline_env) for i in TRUSTEES},
              clerk=Machine(root / "credentials-pc", offline_env),
              database=root / "guide.sqlite", snapshot=root / "snapshot")
    server = g.server

    # §1-2: schema, election, roster, projects.
    assert "is up to date" in server.out("db", "upgrade")
    out = server.out("election", "create", "--id", ELECTION,
                     "--name", "湘江区第十八届人民代表大会第六次会议", "--level", "county",
                     "--year", "2026", *(a for n in TRUSTEES.values() for a in ("--trustee", n)),
                     "--threshold", "2", "--candidate-ratio", "1/5:1/1")
    assert f"election {ELECTION}: 3 trustees, threshold 2; receipt key " in out
    (server.cwd / "deputies.csv").write_text(DEPUTIES, encoding="utf-8")
    (server.cwd / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    assert "6 deputies are valid (dry run: nothing imported)" in server.out(
        "roster", "import", ELECTION, "deputies.csv", "--dry-run")
    assert "6 deputies imported" in server.out("roster", "import", ELECTION, "deputies.csv")
    assert "every row is valid (dry run: nothing imported)" in server.out(
        "projects", "import", ELECTION, "projects.csv", "--dry-run")
    assert "4 projects imported" in server.out("projects", "import", ELECTION, "projects.csv")

    _ceremony(g)

    # §4: the session day up to voting.
    assert "round selection-1: 4 rows, draft" in server.out(
        "round", "create", ELECTION, ROUND, "--title", "2026年度民生实事项目票决",
        "--projects", "P01,P02,P03,P04", "--seats", "2")
    assert "6 present; quorum of 4 met" in server.out("round", "checkin", ELECTION, ROUND,
                                                    "--all-present")
    _credentials(g)
    assert "round selection-1 is open" in server.out("round", "open", ELECTION, ROUND)
    _cast(g)
    assert ("round selection-1 is closed: 应到 enrolled 6 ≥ 实到 present 6 ≥ 发出 issued 6 ≥ "
            "收回 cast 4") in \
        server.out("round", "close", ELECTION, ROUND)

    # §5: the decryption request goes to two 监票人, their shares come back.
    assert "wrote tally-request.json" in server.out("round", "tally-request", ELECTION, ROUND,
                                                    "--out", "tally-request.json")
    for i in DECRYPTING:
        laptop = g.trustees[i]
        laptop.receive(server.cwd / "tally-request.json")
        jobs = ("--jobs", "2") if i == DECRYPTING[-1] else ()  # a laptop with cores to spare
        out = laptop.out("trustee", "decrypt", "--key", f"trustee-{i}.key", *jobs,
                         "--request", "tally-request.json", "--out", f"decryption-{i}.json")
        assert f"the request's board verifies; wrote decryption-{i}.json" in out
        assert re.search(r"round fingerprint [0-9A-F]{4}( [0-9A-F]{4}){3}: announce it", out)
        assert re.search(r"board decrypted: 7 entries, head [0-9A-F]{4}( [0-9A-F]{4}){3}", out)
        assert _mode(laptop.cwd / f"trustee-{i}.key") == 0o600
        server.receive(laptop.cwd / f"decryption-{i}.json")

    # Offline machines never made a database or an instance folder.
    assert not (root / "offline-instance").exists()
    g.snapshot.mkdir()
    for part in root.glob("guide.sqlite*"):
        shutil.copy(part, g.snapshot / part.name)
    return g


def test_guide_counts_publishes_and_verifies(guide: Guide) -> None:
    server = guide.server
    out = server.out("round", "import-share", ELECTION, ROUND,
                     *(f"decryption-{i}.json" for i in DECRYPTING))
    for i in DECRYPTING:
        assert f"decryption-{i}.json: trustee {i}'s share verifies" in out

    out = server.out("round", "combine", ELECTION, ROUND)
    assert "应到 enrolled 6 ≥ 实到 present 6 ≥ 发出 issued 6 ≥ 收回 cast 4" in out
    assert "elected 当选: P01, P02" in out
    assert "未过半数 failed" in out  # P03 and P04
    assert "round selection-1 is published" in server.out("round", "publish", ELECTION, ROUND)
    status = server.out("election", "status", ELECTION)
    assert "round selection-1 (selection): published" in status

    # Every seat is filled: no runoff or further round is called for.
    no_followup = server.run("round", "followup", ELECTION, ROUND, "--new-id", "further-1",
                      "--title", "补充票决", status=1)
    assert "calls for no further round" in no_followup.stderr

    assert "wrote record/selection-1.zip" in server.out(
        "record", "export", ELECTION, ROUND, "--out", "record/selection-1.zip")

    # Anyone, anywhere: the record alone, then a deputy's receipt against it.
    public = Machine(guide.root / "public", guide.clerk.env)
    public.receive(server.cwd / "record" / "selection-1.zip")
    public.receive(guide.root / "deputy" / "receipt.json")
    verified = public.run("verify", "selection-1.zip")
    assert "✔ board.jsonl: 7 entries chain from genesis" in verified.stdout
    assert "record verifies: election xiangjiang-2026, round selection-1" in verified.stdout
    assert "trustees: 2 of 3, shares from 1, 3" in verified.stdout
    assert "board: 7 entries, 6 credentials issued (1 voided), 4 cast" in verified.stdout
    assert "elected 当选: P01, P02" in verified.stdout
    index = guide.receipts[0]["receipt"]["index"]
    receipted = public.run("verify", "--quiet", "selection-1.zip", "--receipt", "receipt.json")
    assert (f"receipt.json: signed by the round's receipt key; ballot {index} is on the board "
            "as receipted") in receipted.stdout

    # Secrets never reach the database: not the passphrase, a code, or the instance secret.
    stored = b"".join(p.read_bytes() for p in guide.root.glob("guide.sqlite*"))
    assert guide.receipts[0]["signature"].encode() in stored  # the bytes are the database's
    for secret in (PASSPHRASE, SECRET_KEY, *guide.codes, *(c.replace("-", "")
                                                            for c in guide.codes)):
        assert secret.encode("utf-8") not in stored


def test_forged_share_and_wrong_passphrase_are_refused(guide: Guide, tmp_path: Path) -> None:
    for part in guide.snapshot.iterdir():
        shutil.copy(part, tmp_path / part.name)
    server = Machine(tmp_path / "server",
                     {**guide.server.env, "DATABASE_URL": f"sqlite:///{tmp_path / 'guide.sqlite'}"})

    genuine = server.receive(guide.server.cwd / "decryption-1.json")
    doc = json.loads(genuine.read_text(encoding="utf-8"))
    cells = doc["share"]["cells"]
    assert cells[0][0]["M"] != cells[1][0]["M"]
    cells[0][0]["M"] = cells[1][0]["M"]
    (server.cwd / "forged-1.json").write_text(json.dumps(doc), encoding="utf-8")
    refused = server.run("round", "import-share", ELECTION, ROUND, "forged-1.json", status=1)
    assert "refused:" in refused.stderr
    assert "(trustee 1, 张建国)" in refused.stderr
    # Nothing was recorded: trustee 1's genuine share is still taken.
    assert "trustee 1's share verifies" in server.out("round", "import-share", ELECTION, ROUND,
                                                      "decryption-1.json")

    laptop = Machine(tmp_path / "trustee-2", {**guide.trustees[2].env,
                                              "PIAOJUE_PASSPHRASE": "not the passphrase"})
    key = laptop.receive(guide.trustees[2].cwd / "trustee-2.key")
    before = key.read_bytes()
    laptop.receive(guide.server.cwd / "tally-request.json")
    wrong = laptop.run("trustee", "decrypt", "--key", "trustee-2.key", "--request",
                       "tally-request.json", "--out", "decryption-2.json", status=1)
    assert "the passphrase does not open this trustee key file" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert not (laptop.cwd / "decryption-2.json").exists()
    assert key.read_bytes() == before
