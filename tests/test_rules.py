"""Decision rules taken from the paper's words (issue 34): every empirical claim's record quotes the
sentence it checks (found verbatim in the paper), reads its quantifier, derives every gate it uses,
reports its free tolerance as a curve and states its regime beside the paper's; the sensitivity
sweep re-runs a check at the settings the paper leaves open."""

import re
from pathlib import Path

import pytest

import verify
from theory.errors import InputError
from verify import rules as R
from verify.claim import Claim
from verify.evidence import Comparison, Measurement
from verify.registry import all_claims

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT.parent / "shared" / "paper" / "memorization-in-overparameterized-autoencoders.txt"
EMPIRICAL = [c for c in all_claims() if c.empirical]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("claim", EMPIRICAL, ids=lambda c: c.id)
def test_every_quote_is_the_papers_own_words(claim):
    """Each fragment of a rule's quote (fragments joined by ' ... ', where the paper's formulas were
    stripped) occurs verbatim in the paper's text."""
    if not PAPER.is_file():
        pytest.skip(f"the paper's text is not beside the checkout ({PAPER}); CI has it")
    paper = _norm(PAPER.read_text())
    for fragment in claim.rule.quote.split(" ... "):
        assert _norm(fragment) in paper, (claim.id, fragment)


@pytest.mark.parametrize("claim", EMPIRICAL, ids=lambda c: c.id)
def test_every_empirical_record_derives_its_rule(claim):
    rule = claim.rule
    assert rule.reading in R.READINGS and rule.where and rule.decides and rule.readings
    assert rule.gates and all(g.derivation and g.value > 0 for g in rule.gates)
    uses_recovery = any(g in rule.gates for g in (R.NEAREST_EXAMPLE, R.INDIVIDUAL))
    assert not uses_recovery or rule.curve, f"{claim.id}: a tolerance the paper leaves free is reported as a curve"
    for sw in rule.sweeps:
        assert sw.values and sw.why and set(sw.profiles) <= {"quick", "default", "paper", "large"}
    regime = claim.regime.at(claim.own_sizes("default") | _family("default", claim), "default")
    assert regime["paper"] and regime["ours"] and "paper_ratios" in regime


def _family(profile, claim):
    from verify.profiles import PROFILES

    return PROFILES[profile].for_claim(claim)


def test_no_bare_thresholds_left_in_the_profiles():
    """The numbers of ours that used to gate verdicts (a 0.9 of the starts, a 0.1 of the spacing, a 10% margin,
    a 0.75 majority, a 0.99 cosine) are gone from every claim's sizes: the gates are the rules'."""
    from verify.profiles import PROFILES

    bare = {"recover_frac", "recover_min", "near_one", "small", "majority", "fig1_majority", "init_margin", "cosine",
            "fig11_recon", "fig11_recover_min", "margin_frac"}
    for prof in PROFILES:
        for c in EMPIRICAL:
            left = bare & set(PROFILES[prof].for_claim(c))
            assert not left, (prof, c.id, left)


def test_gates_and_helpers():
    assert R.majority(5) == 3 and R.majority(4) == 3 and R.majority(1) == 1
    assert R.most_runs(3, 5) and not R.most_runs(2, 4) and not R.most_runs(0, 0)
    assert R.curve_counts([0.01, 0.2, 0.3, 0.6], 1.0) == {0.05: 1, 0.1: 1, 0.25: 2, 0.5: 3}
    vals = {0.05: 0.1, 0.1: 0.45, 0.25: 0.77, 0.5: 0.95}
    ok = {k: v >= 0.5 for k, v in vals.items()}
    assert R.curve_region(vals, ok) == "passes at >= 0.25 x spacing (0.77), not at 0.1 (0.45)"
    assert R.curve_region(vals, {k: True for k in vals}).startswith("passes at every tolerance")
    assert R.curve_region(vals, {k: False for k in vals}).startswith("fails at every tolerance")
    assert abs(R.IN_SPAN.value ** 2 - 0.5) < 1e-15  # sin 45 deg
    with pytest.raises(InputError):
        R.Rule(quote="q", where="w", reading="sometimes", decides="d")
    with pytest.raises(InputError):
        R.Rule(quote="", where="w", reading=R.EXISTS, decides="d")


def test_an_empirical_claim_needs_a_rule_and_a_regime():
    base = verify.get("thm6-attractors").__dict__
    with pytest.raises(InputError, match="give it a rule"):
        Claim(**{**base, "id": "x-empirical", "empirical": True, "expect": None})


def test_a_sweep_reruns_the_check_and_names_the_region(monkeypatch):
    """A claim with a swept setting: the check runs once more per other value (on a fresh cache, the
    setting in its sizes), each point's verdict is recorded, and the region says where it holds."""
    seen = []

    def check(data, ctx):
        k = ctx.sizes()["knob"]
        seen.append((k, ctx.cache == {}))
        return Measurement([Comparison("q", k, 1.0, gate="g")], {"q": k}, None, "q")

    rule = R.Rule(quote="q", where="w", reading=R.TYPICAL, decides="d", gates=(R.Gate("g", 1.0, "why"),),
                  readings=("r",), sweeps=(R.Sweep("knob", (0.5, 2.0), "knob", "open"),))
    claim = Claim(id="x-swept", paper_ref="p", statement="s", hypotheses=(), make_data=lambda ctx: {},
                  check=check, negative_control=lambda d, c: Measurement([Comparison("q", 9.0, 1.0, gate="g")], {}, None, "q"),
                  control_description="c", family="construction", sizes={"quick": {"knob": 0.25}}, data_keys=(),
                  empirical=True, rule=rule, regime=R.Regime("paper", {}, lambda p: {"n": 2, "d": 8}))
    monkeypatch.setitem(verify.registry.REGISTRY, claim.id, claim)
    ev = verify.run([claim.id], profile="quick", backend="numpy").evidence[0]
    assert [k for k, _ in seen] == [0.25, 0.5, 2.0] and all(fresh for _, fresh in seen[1:])
    doc = ev.to_dict()
    assert ev.verdict == "holds" and [p["verdict"] for p in doc["sensitivity"]] == ["holds", "holds", "not-reproduced"]
    assert doc["sensitivity"][0]["primary"] and doc["region"] == "holds with knob 0.25, knob 0.5; not with knob 2 (not-reproduced)"
    assert doc["regime"]["ours"]["n/d"] == 0.25 and doc["rule"]["reading"] == "typical"
