"""ElectionGuard's half of bench/electionguard.py. Runs only in the throwaway venv.

bench/electionguard.py starts this file with the Python 3.10 of a venv that
holds ``electionguard==1.4.0`` (and ``-I``, so nothing of this repository is
importable); it never imports anything from Piaojue, and Piaojue never imports
it. It builds a one-contest election (``--selections`` choices, n-of-m with
``--seats`` votes allowed), gets the joint key from a one-guardian key
ceremony, encrypts one warm-up ballot, and then answers on its standard input,
one JSON line on its standard output per request:

``round``  encrypt, serialize, parse and verify two fresh random ballots, one
           with ElectionGuard's logging as shipped and one with its INFO
           messages stubbed out, and report the seconds of each step.

The first line it writes describes the setup. ElectionGuard logs INFO
messages to standard output; they go to /dev/null here, so that the only
thing on the pipe is this protocol.
"""

import json
import os
import sys

# Keep the real standard output for the protocol; the library's stream log
# handler binds sys.stdout when it is imported, so send file descriptor 1 to
# /dev/null before importing it.
_PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
# The standard 4096-bit group, whatever the caller's environment says.
os.environ.pop("PRIME_OPTION", None)

import argparse  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import datetime  # noqa: E402
from importlib.metadata import version  # noqa: E402

import gmpy2  # noqa: E402
from electionguard.ballot import (  # noqa: E402
    CiphertextBallot,
    PlaintextBallot,
    PlaintextBallotContest,
    PlaintextBallotSelection,
)
from electionguard.ballot_validator import ballot_is_valid_for_election  # noqa: E402
from electionguard.constants import get_generator, get_large_prime, get_small_prime  # noqa: E402
from electionguard.election import make_ciphertext_election_context  # noqa: E402
from electionguard.encrypt import EncryptionDevice, encrypt_ballot  # noqa: E402
from electionguard.group import ElementModQ  # noqa: E402
from electionguard.guardian import Guardian  # noqa: E402
from electionguard.key_ceremony import CeremonyDetails  # noqa: E402
from electionguard.key_ceremony_mediator import KeyCeremonyMediator  # noqa: E402
from electionguard.logs import LOG  # noqa: E402
from electionguard.manifest import (  # noqa: E402
    BallotStyle,
    Candidate,
    ContestDescription,
    ElectionType,
    GeopoliticalUnit,
    InternalManifest,
    Manifest,
    Party,
    ReportingUnitType,
    SelectionDescription,
    SpecVersion,
    VoteVariationType,
)
from electionguard.serialize import from_raw, to_raw  # noqa: E402

DISTRICT, CONTEST, STYLE = "district-1", "contest-1", "style-1"


def build_manifest(n_selections: int, seats: int) -> Manifest:
    """One contest: ``n_selections`` choices, n-of-m with ``seats`` votes allowed."""
    candidates = [Candidate(object_id=f"candidate-{i:02d}") for i in range(1, n_selections + 1)]
    selections = [
        SelectionDescription(object_id=f"selection-{i:02d}", sequence_order=i,
                             candidate_id=f"candidate-{i:02d}")
        for i in range(1, n_selections + 1)
    ]
    contest = ContestDescription(
        object_id=CONTEST, sequence_order=0, electoral_district_id=DISTRICT,
        vote_variation=VoteVariationType.n_of_m, number_elected=seats, votes_allowed=seats,
        name=f"Benchmark: {n_selections} choices, approve at most {seats}",
        ballot_selections=selections,
    )
    manifest = Manifest(
        election_scope_id="piaojue-bench", spec_version=SpecVersion.EG1_0,
        type=ElectionType.general, start_date=datetime(2024, 1, 1),
        end_date=datetime(2024, 1, 2),
        geopolitical_units=[GeopoliticalUnit(object_id=DISTRICT, name="District",
                                             type=ReportingUnitType.county)],
        parties=[Party(object_id="party-1")], candidates=candidates, contests=[contest],
        ballot_styles=[BallotStyle(object_id=STYLE, geopolitical_unit_ids=[DISTRICT])],
    )
    if not manifest.is_valid():
        raise SystemExit("electionguard_side: the manifest does not validate")
    return manifest


def key_ceremony() -> tuple:
    """The joint key and commitment hash of a one-guardian, quorum-one key ceremony.

    The steps of electionguard_tools' KeyCeremonyOrchestrator, which is not
    imported because its package needs hypothesis. With one guardian there
    are no backups to exchange or verify.
    """
    details = CeremonyDetails(number_of_guardians=1, quorum=1)
    guardian = Guardian.from_nonce("guardian-1", 1, details.number_of_guardians, details.quorum)
    mediator = KeyCeremonyMediator("mediator", details)
    mediator.announce(guardian.share_key())
    guardian.generate_election_partial_key_backups()
    mediator.receive_backups(guardian.share_election_partial_key_backups())
    mediator.receive_backup_verifications([])
    joint = mediator.publish_joint_key()
    if joint is None:
        raise SystemExit("electionguard_side: the key ceremony gave no joint key")
    return joint.joint_public_key, joint.commitment_hash


@contextmanager
def info_logging(enabled: bool):
    """With ``enabled`` False, ElectionGuard's INFO messages become no-ops.

    As shipped, every ``log_info`` call formats its message and calls
    ``inspect.stack()`` before the logger looks at any level, and encryption
    makes about a hundred of them per ballot.
    """
    if enabled:
        yield
        return
    LOG.info = lambda *args, **kwargs: None  # an instance attribute over the method
    try:
        yield
    finally:
        del LOG.info


def count_proofs(ballot: CiphertextBallot) -> dict:
    disjunctive = sum(1 for contest in ballot.contests
                      for s in contest.ballot_selections if s.proof is not None)
    placeholders = sum(1 for contest in ballot.contests
                       for s in contest.ballot_selections if s.is_placeholder_selection)
    constant = sum(1 for contest in ballot.contests if contest.proof is not None)
    return {
        "disjunctive_0_or_1": disjunctive,
        "of_which_placeholder_selections": placeholders,
        "constant_chaum_pedersen": constant,
        "total": disjunctive + constant,
        "ciphertexts": sum(len(c.ballot_selections) for c in ballot.contests),
    }


class Election:
    def __init__(self, n_selections: int, seats: int, rng: random.Random) -> None:
        self.n_selections, self.seats, self.rng = n_selections, seats, rng
        start = time.perf_counter()
        manifest = build_manifest(n_selections, seats)
        public_key, commitment_hash = key_ceremony()
        # What electionguard_tools' ElectionBuilder.build() does.
        self.internal_manifest = InternalManifest(manifest)
        self.context = make_ciphertext_election_context(
            number_of_guardians=1, quorum=1, elgamal_public_key=public_key,
            commitment_hash=commitment_hash, manifest_hash=manifest.crypto_hash())
        device = EncryptionDevice(device_id=1, session_id=1, launch_code=1, location="bench")
        self.seed: ElementModQ = device.get_hash()
        self.count = 0
        self.setup_s = time.perf_counter() - start

    def random_ballot(self) -> PlaintextBallot:
        """Like bench/crypto.py's random_marks: 0 to ``seats`` choices approved, uniformly."""
        self.count += 1
        chosen = self.rng.sample(range(1, self.n_selections + 1),
                                 self.rng.randint(0, self.seats))
        selections = [PlaintextBallotSelection(object_id=f"selection-{i:02d}", vote=1)
                      for i in sorted(chosen)]
        return PlaintextBallot(object_id=f"ballot-{self.count}", style_id=STYLE,
                               contests=[PlaintextBallotContest(CONTEST, selections)])

    def one(self, logging_as_shipped: bool = True) -> tuple[dict, CiphertextBallot]:
        """Encrypt, serialize, parse and verify one ballot; seconds of each step."""
        ballot = self.random_ballot()
        with info_logging(logging_as_shipped):
            start = time.perf_counter()
            encrypted = encrypt_ballot(ballot, self.internal_manifest, self.context,
                                       self.seed, should_verify_proofs=False)
            encrypted_at = time.perf_counter()
        if encrypted is None:
            raise SystemExit("electionguard_side: encrypt_ballot returned None")
        self.seed = encrypted.code  # chain as EncryptionMediator does
        raw = to_raw(encrypted)
        start_verify = time.perf_counter()
        parsed = from_raw(CiphertextBallot, raw)
        parsed_at = time.perf_counter()
        valid = ballot_is_valid_for_election(parsed, self.internal_manifest, self.context,
                                             should_validate=True)
        done = time.perf_counter()
        if not valid:
            raise SystemExit("electionguard_side: a fresh ballot did not verify")
        return {
            "encrypt_s": encrypted_at - start,
            "parse_s": parsed_at - start_verify,
            "verify_s": done - start_verify,
            "json_bytes": len(raw.encode()),
        }, encrypted


def send(message: dict) -> None:
    _PROTOCOL.write(json.dumps(message) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selections", type=int, default=20)
    parser.add_argument("--seats", type=int, default=5)
    args = parser.parse_args()

    election = Election(args.selections, args.seats, random.Random())
    warm, encrypted = election.one()  # warm-up, and the ballot whose proofs are counted
    send({
        "ready": True,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "electionguard": version("electionguard"),
        "gmpy2": gmpy2.version(),
        "gmp": gmpy2.mp_version(),
        "group": {"p_bits": get_large_prime().bit_length(),
                  "q_bits": get_small_prime().bit_length(),
                  "g_bits": get_generator().bit_length()},
        "prime_option": os.environ.get("PRIME_OPTION", "Standard (unset)"),
        "key": "key ceremony of 1 guardian, quorum 1 (Guardian, KeyCeremonyMediator), "
               "context from make_ciphertext_election_context",
        "contest": {"selections": args.selections, "number_elected": args.seats,
                    "votes_allowed": args.seats, "vote_variation": "n_of_m"},
        "proofs": count_proofs(encrypted),
        "setup_s": election.setup_s,
        "warm_up": warm,
    })
    for line in sys.stdin:
        command = line.strip()
        if command != "round":
            raise SystemExit(f"electionguard_side: unknown command {command!r}")
        shipped, _ = election.one(logging_as_shipped=True)
        quiet, _ = election.one(logging_as_shipped=False)
        send({"as_shipped": shipped, "info_logging_stubbed": quiet})
    return 0


if __name__ == "__main__":
    sys.exit(main())
