"""The starter glossary: terms every ML incident ends up using.

Plain data, loaded by `seed_demo` through glossary.services.create_term.
`related` names other starter terms; links are made once every term exists.
"""

from __future__ import annotations

from typing import TypedDict


class StarterTerm(TypedDict, total=False):
    name: str
    variants: list[str]
    technical_definition: str
    plain_definition: str
    examples: str
    is_technical: bool
    related: list[str]


STARTER_TERMS: list[StarterTerm] = [
    {
        "name": "Latency",
        "variants": ["response time"],
        "technical_definition": "Time between a request reaching the model service and its response leaving it, "
        "usually reported per percentile (p50, p95, p99) in milliseconds.",
        "plain_definition": "How long the system takes to answer. High latency means customers wait.",
        "examples": "Recommender latency rose from 180 ms to 900 ms after the cache node failed.",
        "related": ["p95", "SLO", "Error budget"],
    },
    {
        "name": "p95",
        "variants": ["p95 latency", "95th percentile", "p99", "p99 latency"],
        "technical_definition": "The 95th percentile of a distribution: 95 % of observations are at or below it. "
        "p95 latency ignores the slowest 5 % of requests; p99 ignores the slowest 1 %.",
        "plain_definition": "The wait that 19 out of 20 customers do not exceed. It shows what slow, "
        "but not extreme, experiences look like.",
        "examples": "p95 latency of 300 ms: 95 % of checkouts got a recommendation within 0.3 s.",
        "related": ["Latency", "SLO"],
    },
    {
        "name": "Drift",
        "variants": ["data drift", "feature drift", "concept drift", "model drift"],
        "technical_definition": "A change over time in the distribution of model inputs (data drift) or in the "
        "relationship between inputs and outcomes (concept drift), degrading predictions trained on older data.",
        "plain_definition": "The world the model sees has changed since it learned, so its judgements get "
        "less reliable.",
        "examples": "After an upstream schema change, income was reported in cents, shifting the credit model's inputs.",
        "related": ["PSI", "Data quality", "Calibration"],
    },
    {
        "name": "PSI",
        "variants": ["population stability index"],
        "technical_definition": "Population stability index: sum over bins of (actual% − expected%) × ln(actual% / "
        "expected%). Below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 significant shift.",
        "plain_definition": "A score for how much today's customers differ from the ones the model was built on. "
        "Higher means more different.",
        "examples": "PSI on the income feature jumped from 0.04 to 0.38 within an hour.",
        "related": ["Drift", "Data quality"],
    },
    {
        "name": "False positive",
        "variants": [
            "false positives",
            "FP",
            "FP rate",
            "false positive rate",
            "false-positive rate",
        ],
        "technical_definition": "A case the model flags as positive (e.g. fraud) that is actually negative. "
        "False positive rate = FP / (FP + TN).",
        "plain_definition": "A wrong alarm: a genuine customer treated as a problem, for example a legitimate "
        "card payment declined as fraud.",
        "examples": "FP rate rose from 2 % to 6 %: about 480 more genuine customers declined every hour.",
        "related": ["Precision", "Recall", "Threshold"],
    },
    {
        "name": "False negative",
        "variants": ["false negatives", "FN", "missed detection"],
        "technical_definition": "A case the model scores as negative that is actually positive. "
        "False negative rate = FN / (FN + TP) = 1 − recall.",
        "plain_definition": "A missed problem: for example a fraudulent payment that was let through.",
        "examples": "Raising the threshold cut false positives but let more fraud through (false negatives).",
        "related": ["Recall", "False positive"],
    },
    {
        "name": "Precision",
        "variants": [],
        "technical_definition": "TP / (TP + FP): the share of positive predictions that are correct.",
        "plain_definition": "Of everything the model flagged, how much really was a problem.",
        "examples": "Precision of 0.8: 8 out of 10 payments flagged as fraud were fraud.",
        "related": ["Recall", "False positive", "Threshold"],
    },
    {
        "name": "Recall",
        "variants": ["sensitivity", "true positive rate", "TPR"],
        "technical_definition": "TP / (TP + FN): the share of actual positives the model catches.",
        "plain_definition": "Of all the real problems, how many the model caught.",
        "examples": "Recall of 0.9: the model caught 9 of every 10 fraudulent payments.",
        "related": ["Precision", "False negative"],
    },
    {
        "name": "Risk tier",
        "variants": ["model risk tier", "tier 1", "tier 2", "tier 3"],
        "technical_definition": "Classification of a model by the harm its failure can cause (1 highest, 3 lowest); "
        "sets review depth, monitoring, approvals and incident playbooks.",
        "plain_definition": "How much damage the model could do if it goes wrong. Tier 1 models affect money, "
        "credit or legal obligations directly.",
        "examples": "Fraud scoring and credit risk are tier 1; product recommendations are tier 3.",
        "related": ["Incident commander"],
        "is_technical": False,
    },
    {
        "name": "Error budget",
        "variants": ["error budget burn", "burn rate"],
        "technical_definition": "1 − SLO target over a window: the amount of unreliability allowed. Burn rate is "
        "how fast incidents consume it relative to an even spend over the window.",
        "plain_definition": "The small amount of failure we agreed to tolerate over a month. When it is used up, "
        "reliability work takes priority over new features.",
        "examples": "A 99.9 % monthly SLO leaves an error budget of about 43 minutes.",
        "related": ["SLO", "Latency"],
    },
    {
        "name": "Rollback",
        "variants": ["roll back", "rolled back", "model rollback"],
        "technical_definition": "Redeploying the previous known-good model version (artifact, features and "
        "configuration) to undo a faulty release.",
        "plain_definition": "Switching back to the previous version of the system that worked.",
        "examples": "Rolled back fraud scoring from v43 to v42 at 14:05 UTC.",
        "related": ["Model version", "Canary", "Containment"],
        "is_technical": False,
    },
    {
        "name": "Shadow mode",
        "variants": ["shadow deployment", "shadowing"],
        "technical_definition": "Running a model on live traffic and logging its outputs without acting on them, "
        "to compare against the serving model.",
        "plain_definition": "The model watches real activity and makes its guesses on the side, but nobody is "
        "affected by them.",
        "examples": "The retrained credit model ran in shadow mode for a week before going live.",
        "related": ["Canary", "Model version"],
    },
    {
        "name": "Containment",
        "variants": ["contained", "mitigation"],
        "technical_definition": "The phase where the incident's impact stops growing, typically through rollback, "
        "fallback rules, feature flags or traffic shifts, before the root cause is fixed.",
        "plain_definition": "The harm has stopped spreading, even if the underlying problem is not fixed yet.",
        "examples": "Contained: FP rate below 2 % for 30 minutes after falling back to rules.",
        "related": ["Rollback", "Root cause"],
        "is_technical": False,
    },
    {
        "name": "Feature pipeline",
        "variants": ["feature pipelines", "feature engineering pipeline", "pipeline"],
        "technical_definition": "The jobs that compute model input features from raw data, in batch or streaming, "
        "and deliver them to training and serving.",
        "plain_definition": "The process that prepares the information the model uses to make its decisions.",
        "examples": "A deploy of the feature pipeline sent merchant category as null for 20 % of payments.",
        "related": ["Feature store", "Data quality"],
    },
    {
        "name": "Data quality",
        "variants": ["data quality check", "data validation"],
        "technical_definition": "Fitness of input data for its use: completeness, validity, consistency, freshness "
        "and uniqueness, checked by automated expectations on pipelines.",
        "plain_definition": "Whether the information feeding the model is complete, correct and up to date.",
        "examples": "Null rate of merchant_category rose from 0.1 % to 20 %: a data quality failure.",
        "related": ["Feature pipeline", "Drift"],
        "is_technical": False,
    },
    {
        "name": "Model version",
        "variants": ["model versions", "model versioning"],
        "technical_definition": "An immutable, identified release of a model: weights, code, feature definitions "
        "and configuration, traceable to its training data.",
        "plain_definition": "A specific release of the model, so we know exactly which one made a decision.",
        "examples": "Incident scope: fraud scoring v43 only; v42 is unaffected.",
        "related": ["Rollback", "Canary"],
    },
    {
        "name": "Threshold",
        "variants": ["decision threshold", "cut-off", "cutoff"],
        "technical_definition": "The score above which a prediction becomes a positive decision; moving it trades "
        "false positives against false negatives.",
        "plain_definition": "The line the model's score must cross before we act, for example before a payment "
        "is declined.",
        "examples": "Raised the fraud decline threshold from 0.80 to 0.88 to stop wrongful declines.",
        "related": ["False positive", "Precision", "Calibration"],
    },
    {
        "name": "AUC",
        "variants": ["ROC AUC", "AUROC", "area under the curve"],
        "technical_definition": "Area under the ROC curve: probability that a random positive is scored above a "
        "random negative; 0.5 is chance, 1.0 perfect ranking.",
        "plain_definition": "A single score of how well the model tells good cases from bad ones; closer to 1 is "
        "better.",
        "examples": "AUC fell from 0.94 to 0.87 on yesterday's labelled payments.",
        "related": ["Precision", "Recall", "Calibration"],
    },
    {
        "name": "Calibration",
        "variants": ["calibrated", "miscalibration"],
        "technical_definition": "Agreement between predicted probabilities and observed frequencies: of cases "
        "scored 0.2, about 20 % should turn out positive.",
        "plain_definition": "Whether the model's confidence can be trusted: when it says '20 % likely', it should "
        "be right about 1 time in 5.",
        "examples": "After drift, the credit model's predicted default rates ran 40 % above actual defaults.",
        "related": ["Threshold", "AUC", "Drift"],
    },
    {
        "name": "Canary",
        "variants": ["canary release", "canary deployment"],
        "technical_definition": "Releasing a new version to a small share of traffic first, comparing its metrics "
        "with the current version before widening or rolling back.",
        "plain_definition": "Trying a change on a small group of customers first, to catch problems before "
        "everyone is affected.",
        "examples": "v43 went to 5 % of traffic as a canary; its FP rate doubled, so it was stopped.",
        "related": ["Rollback", "Shadow mode", "Model version"],
    },
    {
        "name": "Feature store",
        "variants": ["feature stores"],
        "technical_definition": "A system that stores, versions and serves model features consistently to training "
        "(offline) and inference (online).",
        "plain_definition": "A shared library of prepared information that every model reads from.",
        "examples": "The online feature store served stale values for 40 minutes.",
        "related": ["Feature pipeline", "Data quality"],
    },
    {
        "name": "SLO",
        "variants": ["SLOs", "service level objective"],
        "technical_definition": "Service level objective: a target for a measured service level indicator over a "
        "window, e.g. 99.9 % of requests under 300 ms over 30 days.",
        "plain_definition": "The reliability promise we hold ourselves to, such as 'answers within a third of a "
        "second almost all the time'.",
        "examples": "Recommendations SLO: p95 latency under 300 ms for 99 % of 5-minute windows.",
        "related": ["Error budget", "Latency", "p95"],
    },
    {
        "name": "Incident commander",
        "variants": ["IC", "commander"],
        "technical_definition": "The single person accountable for coordinating an incident: sets priorities, "
        "assigns roles, takes or delegates decisions and owns the update cadence.",
        "plain_definition": "The person in charge of the response, who decides who does what.",
        "examples": "Cara is incident commander for INC-12; ask her before rolling anything back.",
        "related": ["Containment", "Risk tier"],
        "is_technical": False,
    },
    {
        "name": "Root cause",
        "variants": ["root causes", "root cause analysis", "RCA"],
        "technical_definition": "The underlying condition without which the incident would not have happened, "
        "identified after containment and recorded in the post-incident review.",
        "plain_definition": "The real reason it went wrong, not just the symptom we saw.",
        "examples": "Root cause: a feature pipeline change sent nulls that the model read as high risk.",
        "related": ["Containment", "Data quality"],
        "is_technical": False,
    },
    {
        "name": "Inference",
        "variants": ["serving", "prediction", "scoring"],
        "technical_definition": "Running a trained model on new inputs to produce predictions, online per request "
        "or in batch.",
        "plain_definition": "The model making a decision on a new case, such as scoring a payment.",
        "examples": "Inference errors rose to 3 % when the GPU nodes were drained.",
        "related": ["Latency", "Model version"],
    },
    {
        "name": "Fallback rules",
        "variants": ["fallback", "rules fallback", "rule-based fallback"],
        "technical_definition": "A simpler deterministic decision path (rules or a previous model) switched in when "
        "the model is disabled or unhealthy.",
        "plain_definition": "Simple backup rules we use while the model is switched off.",
        "examples": "Fraud decisions fell back to rules for 45 minutes, with more manual reviews.",
        "related": ["Containment", "Rollback"],
        "is_technical": False,
    },
    {
        "name": "Ground truth",
        "variants": ["labels", "label delay"],
        "technical_definition": "The observed true outcome for a prediction (e.g. a chargeback confirming fraud), "
        "often available only days or weeks later.",
        "plain_definition": "What actually happened, which we often learn only later.",
        "examples": "Chargeback labels arrive after up to 30 days, so recall is estimated until then.",
        "related": ["Precision", "Recall"],
    },
    {
        "name": "Retraining",
        "variants": ["retrain", "model retraining"],
        "technical_definition": "Fitting the model again on newer data, possibly with corrected features, and "
        "validating it before release.",
        "plain_definition": "Teaching the model again with recent, corrected information.",
        "examples": "Retraining on post-change data is scheduled after the schema fix ships.",
        "related": ["Drift", "Model version", "Shadow mode"],
    },
]
