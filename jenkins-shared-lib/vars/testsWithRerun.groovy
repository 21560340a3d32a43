import io.dozhim.jenkins.Cli
import io.dozhim.jenkins.Downstream
import io.dozhim.jenkins.Options
import io.dozhim.jenkins.StageNames
import io.dozhim.jenkins.Verdict

/*
 * testsWithRerun: run the tests, rerun only the failed ones with fewer threads, one stage per attempt,
 * and set the build result from the dozhim CLI's decision. The policy is the CLI's (dozhim attempt /
 * dozhim decide); this file only loops, names stages and publishes. Parameters: testsWithRerun.txt.
 */

Map call(Map config = [:]) {
    Map checked = Options.normalize('testsWithRerun', config,
        [BUILD_TAG: env.BUILD_TAG, DOZHIM_REPORTER_URL: env.DOZHIM_REPORTER_URL])
    if (checked.errors) {
        error(checked.errors.join('\n'))
    }
    Map o = checked.options
    Cli cli = new Cli(this, o)
    Map run = null
    cli.withEnvironment {
        String reused = cli.reusedRunId()
        if (reused) {
            error("testsWithRerun: ${reused}")
        }
        run = o.command ? commandLoop(cli, o) : jobLoop(cli, o)
        publish(cli, o, run)
    }
    return finish(o, run)
}

/** `command:` mode: one `dozhim attempt` per stage; the CLI picks the tests and threads of each rerun. */
Map commandLoop(Cli cli, Map o) {
    Map run = [attempts: [], last: null, error: null]
    int threads = Options.firstThreads(o)
    Integer selected = null
    for (int n = 1; n <= o.maxRuns; n++) {
        Map answer = null
        stage(StageNames.attempt(o.label, n, threads, selected)) {
            answer = cli.attempt(n)
            if (answer.json?.line) {
                echo "dozhim: ${answer.json.line}"
            }
        }
        Map next = Verdict.afterAttempt(answer.json, answer.status, n)
        if (next.kind == 'error') {
            run.error = next.reason
            return run
        }
        Map json = answer.json
        if (json.ran && json.threads != threads) {
            echo "WARNING: attempt ${n} ran with ${json.threads} threads, not the ${threads} its stage name says"
        }
        if (json.ran) {
            run.attempts << [attempt: n, threads: json.threads, selected: json.selected, counts: json.counts, line: json.line]
        }
        run.last = [failing: json.failing, flaky: json.flaky, line: json.line, action: json.decision?.action,
                    exitCode: json.exitCode, mode: json.mode]
        if (next.kind != 'retry') {
            return run
        }
        threads = json.decision.nextThreads as int
        selected = json.decision.testsToRerun.size()
    }
    return run
}

/**
 * `job:` mode: one downstream build per stage; its results reach the reporter (dozhim upload in that
 * job), then `dozhim decide` says what to do next and `dozhim failed` gives the selectors to rerun.
 */
Map jobLoop(Cli cli, Map o) {
    Map run = [attempts: [], last: null, error: null]
    int threads = Options.firstThreads(o)
    Integer selected = null
    String testList = o.allTests.toString()
    for (int n = 1; n <= o.maxRuns; n++) {
        if (n > 1 && o.healthCheck) {
            int health = sh(returnStatus: true, script: o.healthCheck.toString())
            if (health != 0) {
                run.error = "TERMINATED - environment unhealthy: the health check exited ${health} before attempt ${n}".toString()
                return run
            }
        }
        Map build = null
        Map decision = null
        stage(StageNames.attempt(o.label, n, threads, selected)) {
            build = Downstream.trigger(this, o, n, threads, testList)
            echo "dozhim: ${o.job} #${build.number} finished ${build.result} (${build.url})"
            decision = cli.decide(n.toString())
            if (decision.json?.line) {
                echo "dozhim: ${decision.json.line}"
            }
        }
        run.error = checkDownstream(o, n, build, decision)
        if (run.error) {
            return run
        }
        Map d = decision.json
        run.attempts << [attempt: n, threads: threads, selected: selected, build: build.number, result: build.result, line: d.line]
        run.last = [failing: d.failing, flaky: d.flaky, line: d.line, action: d.action, exitCode: null, mode: 'reporter']
        if (d.action != 'retry') {
            return run
        }
        Map failed = cli.failed(n.toString(), o.framework.toString())
        if (failed.status != 0 || failed.json == null) {
            run.error = "dozhim failed exited ${failed.status} after attempt ${n}: ${failed.message}".toString()
            return run
        }
        if (new HashSet(failed.json.failing) != new HashSet(d.testsToRerun)) {
            echo "WARNING: dozhim failed lists ${failed.json.failing.size()} tests, the decision reruns ${d.testsToRerun.size()}: rerunning all failing ones"
        }
        if (Verdict.anyContains(failed.json.selectors, ',')) {
            echo "WARNING: a selector holds a comma, so the comma-joined ${o.testListParam} splits it; those tests stay failing unless they run"
        }
        testList = failed.json.selectors.join(',')
        threads = d.nextThreads as int
        selected = d.testsToRerun.size()
    }
    return run
}

/** Why the downstream build's answer cannot be trusted, or null. Every doubt keeps the run red. */
String checkDownstream(Map o, int n, Map build, Map decision) {
    String job = "${o.job} #${build.number} (${build.result})"
    if (decision.status != 0 || decision.json == null) {
        return "dozhim decide exited ${decision.status} after ${job}, attempt ${n}: ${decision.message}".toString()
    }
    if (decision.json.attempt != n) {
        return ("${job} recorded no results for attempt ${n} of run ${o.runId}: " +
            "the job must upload them (dozhim upload --run-id \$runId --attempt \$attempt)").toString()
    }
    if (build.result in ['ABORTED', 'NOT_BUILT']) {
        return "${job} did not complete attempt ${n}".toString()
    }
    if (build.result != 'SUCCESS' && build.result != 'UNSTABLE' && decision.json.failedInAttempt == 0) {
        return "${job} failed although its results of attempt ${n} show no failed test: not trusting them".toString()
    }
    return null
}

/** Publishes the merged report once: a junit call per attempt would leave a green rerun UNSTABLE. */
void publish(Cli cli, Map o, Map run) {
    if (run.attempts.isEmpty()) {
        return
    }
    if (o.job) {
        Map r = cli.report()
        if (r.status != 0) {
            run.reportError = "dozhim report exited ${r.status}: ${r.message}".toString()
            return
        }
    }
    if (!fileExists(o.reportPath)) {
        run.reportError = "no merged report at ${o.reportPath}".toString()
        return
    }
    run.reportPath = o.reportPath
    if (o.publishJunit) {
        junit(testResults: o.reportPath, allowEmptyResults: false)
    }
}

/** Sets the build result explicitly and returns the summary (plain, Serializable values). */
Map finish(Map o, Map run) {
    Map v = run.error ? [outcome: 'failed', reason: run.error] : Verdict.outcome(run.last)
    if (v.outcome != 'failed' && run.reportError) {
        v = [outcome: 'failed', reason: "the tests passed but the merged report is missing: ${run.reportError}".toString()]
    }
    List flaky = run.last?.flaky ?: []
    Map r = Verdict.result(v.outcome.toString(), v.reason.toString(), flaky, o)
    String mode = run.last?.mode ?: 'unknown'
    if (mode == 'local' && o.reporterUrl) {
        echo "WARNING: the reporter ${o.reporterUrl} was unreachable: dozhim kept run ${o.runId} in local state only"
    }
    Map summary = [
        runId: o.runId, outcome: v.outcome, result: r.result, reason: r.message, attempts: run.attempts,
        failing: run.last?.failing ?: [], flaky: flaky, reportPath: run.reportPath, mode: mode,
    ]
    echo "dozhim: run ${o.runId}: ${r.result} - ${r.message}"
    if (r.result == 'FAILURE') {
        currentBuild.result = 'FAILURE'
        if (o.errorOnFailure) {
            error(r.message)
        }
    } else if (r.result == 'UNSTABLE') {
        unstable(r.message)
    } else {
        currentBuild.result = 'SUCCESS'
    }
    return summary
}
