package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Turns the CLI's answers into the pipeline's verdict. The CLI decides (retry, finish, terminate);
 * this only reads its JSON and exit code, and resolves every ambiguity towards a visible failure.
 */
class Verdict implements Serializable {

    private static final long serialVersionUID = 1L

    /** CLI exit codes that mean the attempt itself broke (usage, infrastructure, signal): never retried. */
    @NonCPS
    static boolean infrastructure(int status) {
        return status == 2 || status == 7 || status >= 128
    }

    /**
     * After `dozhim attempt --attempt n`: [kind: retry | done | error, reason]. `error` when there is no
     * JSON, when the CLI reports an infrastructure error, or when it ran another attempt than asked.
     */
    @NonCPS
    static Map afterAttempt(Map json, int status, int n) {
        if (json == null) {
            return [kind: 'error', reason: "dozhim attempt ${n} printed no JSON (exit ${status}): see its output above".toString()]
        }
        if (infrastructure(status)) {
            return [kind: 'error', reason: "attempt ${n} could not run its tests (dozhim exit ${status}): ${json.line}".toString()]
        }
        if (json.ran && json.attempt != n) {
            return [kind: 'error', reason: "asked dozhim for attempt ${n}, it ran attempt ${json.attempt}".toString()]
        }
        return [kind: json.decision?.action == 'retry' ? 'retry' : 'done', reason: json.line?.toString()]
    }

    /**
     * The outcome of the run from the last answer ([failing, flaky, line, action, exitCode]):
     * [outcome: passed | flaky | failed, reason]. Green only when nothing is failing, the CLI did not ask
     * for another attempt, and its exit code agrees (0, or 6 = flaky with failOnFlaky).
     */
    @NonCPS
    static Map outcome(Map last) {
        List failing = last.failing ?: []
        List flaky = last.flaky ?: []
        if (failing) {
            return [outcome: 'failed', reason: last.line.toString()]
        }
        if (last.action == 'retry') {
            return [outcome: 'failed', reason: "no attempt left although dozhim asked for a retry: ${last.line}".toString()]
        }
        if (last.exitCode != null && !(last.exitCode in [0, 6])) {
            return [outcome: 'failed', reason: "dozhim ended with exit ${last.exitCode} although no test is failing: ${last.line}".toString()]
        }
        return [outcome: flaky ? 'flaky' : 'passed', reason: last.line.toString()]
    }

    /** The build result for an outcome: [result, message]. */
    @NonCPS
    static Map result(String outcome, String reason, List flaky, Map o) {
        if (outcome == 'passed') {
            return [result: 'SUCCESS', message: reason]
        }
        if (outcome == 'flaky') {
            String msg = "${StageNames.plural(flaky.size(), 'test')} passed only on a rerun (flaky): ${flaky.join(', ')}".toString()
            return [result: o.failOnFlaky ? 'FAILURE' : o.flakyResult, message: o.failOnFlaky ? "${msg} and failOnFlaky is set".toString() : msg]
        }
        return [result: 'FAILURE', message: reason]
    }

    @NonCPS
    static boolean anyContains(List values, String part) {
        return values.any { it.toString().contains(part) }
    }

}
