#!/usr/bin/env python3
"""How far the lexical relevance evidence can go, whatever model reads it.

Reads the samples `kqa eval fit-relevance` saves (.kqa-eval/relevance-samples/SET.jsonl) and compares,
cross-validated by article (5 folds, so no article's paragraphs are on both sides), the refusals of
questions searched without their own context at the threshold that keeps false refusals at the
target on each set:

- a logistic model over RelevanceModel's inputs (what ships, here with scikit-learn's L2),
- gradient-boosted trees over the same inputs (interactions and thresholds the logistic model cannot draw),
- question-level models over the best passages' scores and the top passage's inputs.

Works for any saved set: xquad-en's samples carry the dense inputs, the Chinese sets' are 0.

If the trees and the question-level models refuse no more than the logistic model, the ceiling is
the evidence, not the model form. Needs Debian's python3-sklearn:

    apt-get install python3-sklearn
    /usr/bin/python3 tools/relevance-ceiling.py --data DATA [--samples .kqa-eval/relevance-samples] [--target 0.03] [SET ...]
"""
import argparse, json, math, os
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def inputs(f):
    """RelevanceModel.Inputs, and the lead last (the dense inputs are 0 where they do not count, as for Chinese with the default model)."""
    kind = f["kindFound"]
    found = kind is True
    return [f["coverage"], f["bestUnitCoverage"], 1 - f["namedCoverage"], 1 if found else 0, 1 if kind is False else 0,
            f["dense"] or 0, f["bestUnitDense"] or 0, f["bestUnitStrict"], f["phrase"], math.log(1 + f["termCount"]),
            1 if f["isTop"] else 0, f["bigramCoverage"],
            f["weightedBigramCoverage"], min(f["phraseLength"], 12) / 12, 0 if found else f["absentTerms"],
            f["absentTerms"] if found else 0, 0 if found else f["absentBigrams"], f["absentBigrams"] if found else 0,
            f["missingFocus"], 1 if f["kindNowhere"] else 0, f["lead"]]


def articles(data, dataset):
    """Question id -> article id, from the set's questions.jsonl and contexts.jsonl (folds keep an article's paragraphs together)."""
    folder = os.path.join(data, dataset)
    article_of_context = {}
    for line in open(os.path.join(folder, "contexts.jsonl"), encoding="utf-8"):
        c = json.loads(line)
        article_of_context[c["id"]] = c.get("article_id", c["id"])
    result = {}
    for line in open(os.path.join(folder, "questions.jsonl"), encoding="utf-8"):
        q = json.loads(line)
        result[q["id"]] = article_of_context[q["context_id"]]
    return result


def load(data, folder, sets):
    questions = []
    for name in sets:
        article = articles(data, name)
        for line in open(os.path.join(folder, name + ".jsonl"), encoding="utf-8"):
            r = json.loads(line)
            questions.append(dict(
                set=name, group=name + "/" + article[r["questionId"]], in_store=r["contextInStore"],
                own=[(p["answers"], inputs(p["features"])) for p in r["own"] if p["features"]["bestUnit"] >= 0],
                without=[inputs(f) for f in r["without"] if f["bestUnit"] >= 0]))
    return questions


def passage_rows(questions):
    x, y = [], []
    for q in questions:
        for answers, row in q["own"]:
            if answers:
                x.append(row); y.append(1)
        for row in q["without"]:
            x.append(row); y.append(0)
    return np.array(x), np.array(y)


def scores(model, rows):
    return model.predict_proba(np.array(rows))[:, 1] if rows else np.zeros(0)


def passage_scores(questions, folds, make, lead):
    """Out-of-fold scores of every passage, with and without the question's context."""
    own, without = [None] * len(questions), [None] * len(questions)
    cut = None if lead else -1
    for train, test in folds:
        x, y = passage_rows([questions[i] for i in train])
        model = make().fit(x[:, :cut], y)
        for i in test:
            q = questions[i]
            own[i] = list(zip(scores(model, [r[:cut] for _, r in q["own"]]), [r for _, r in q["own"]])) if q["in_store"] else []
            without[i] = list(zip(scores(model, [r[:cut] for r in q["without"]]), q["without"]))
    return own, without


def report(name, questions, own_best, without_best, target):
    cells = []
    for dataset in sorted({q["set"] for q in questions}):
        idx = [i for i, q in enumerate(questions) if q["set"] == dataset]
        own = np.sort([own_best[i] for i in idx if questions[i]["in_store"]])
        without = np.array([without_best[i] for i in idx])
        threshold = own[int(math.floor(target * len(own)))]
        cells.append(f"{np.mean(own < threshold):.1%} / {np.mean(without < threshold):.1%}")
    print(f"| {name} | " + " | ".join(cells) + " |")


def question_features(scored):
    ranked = sorted(scored, key=lambda t: -t[0])
    p = [t[0] for t in ranked] + [0, 0, 0]
    top = list(ranked[0][1]) if ranked else [0] * 21
    return [p[0], p[1], p[2], p[0] - p[1], len(ranked)] + top


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", default=["cmrc2018", "drcd"])
    parser.add_argument("--data", required=True, help="the data folder (DATA: xquad-en/, cmrc2018/, drcd/ with contexts.jsonl and questions.jsonl)")
    parser.add_argument("--samples", default=".kqa-eval/relevance-samples")
    parser.add_argument("--target", type=float, default=0.03)
    args = parser.parse_args()
    questions = load(args.data, args.samples, args.sets)
    folds = list(GroupKFold(5).split(questions, groups=[q["group"] for q in questions]))
    print(f"{len(questions)} questions, {sum(q['in_store'] for q in questions)} with their context in the store; "
          f"false refusals / context-missing refused at {args.target:.0%} false refusals per set, 5 folds by article\n")
    print("| model | " + " | ".join(sorted(set(args.sets))) + " |")
    print("| --- |" + " --- |" * len(set(args.sets)))
    logistic = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    trees = lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=0)
    best = lambda scored: max((s for s, _ in scored), default=0.0)
    # The shipped form's out-of-fold scores also feed the question-level models below.
    base_own, base_without = passage_scores(questions, folds, logistic, lead=False)
    report("passage logistic (the shipped form)", questions, [best(o) for o in base_own], [best(w) for w in base_without], args.target)
    for name, make, lead in [("passage logistic with the lead", logistic, True), ("passage gradient-boosted trees", trees, False)]:
        own, without = passage_scores(questions, folds, make, lead)
        report(name, questions, [best(o) for o in own], [best(w) for w in without], args.target)
    for name, make in [("question-level logistic", lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))),
                       ("question-level trees", trees)]:
        own_q, without_q = [0.0] * len(questions), [0.0] * len(questions)
        for train, test in folds:
            x, y = [], []
            for i in train:
                if questions[i]["in_store"]:
                    x.append(question_features(base_own[i])); y.append(1)
                x.append(question_features(base_without[i])); y.append(0)
            model = make().fit(np.array(x), np.array(y))
            for i in test:
                if questions[i]["in_store"]:
                    own_q[i] = scores(model, [question_features(base_own[i])])[0]
                without_q[i] = scores(model, [question_features(base_without[i])])[0]
        report(name, questions, own_q, without_q, args.target)


if __name__ == "__main__":
    main()
