package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Runs the `dozhim` CLI through the pipeline's `sh` step. Every answer the library acts on comes from
 * the CLI's exit code and its JSON on stdout, never from its free text. Holds only the steps object
 * and plain option values, so it survives a controller restart (Serializable).
 */
class Cli implements Serializable {

    private static final long serialVersionUID = 1L

    private final Object steps
    private final Map o

    Cli(Object steps, Map options) {
        this.steps = steps
        this.o = options
    }

    /** The command prefix: a preinstalled `dozhim` (or any command, e.g. `node /opt/dozhim.js`), or npx of a pinned version. */
    @NonCPS
    String prefix() {
        return o.cliVersion ? "npx --yes @dozhim/cli@${o.cliVersion}".toString() : o.cli.toString()
    }

    /** Reporter URL and token around `body`: the CLI reads DOZHIM_REPORTER_URL and DOZHIM_TOKEN. */
    def withEnvironment(Closure body) {
        List vars = o.reporterUrl ? ["DOZHIM_REPORTER_URL=${o.reporterUrl}".toString()] : []
        if (o.credentialsId) {
            return steps.withEnv(vars) {
                steps.withCredentials([steps.string(credentialsId: o.credentialsId, variable: 'DOZHIM_TOKEN')]) {
                    body()
                }
            }
        }
        return steps.withEnv(vars) { body() }
    }

    /**
     * `dozhim attempt --attempt n --json` for `command`. Its test output streams to the log (stderr);
     * the JSON goes to a file. Returns [status: exit code, json: the parsed JSON or null].
     */
    Map attempt(int n) {
        List args = ['attempt', '--json', '--attempt', n.toString()] + runArgs() + policyArgs() +
            ['--framework', o.framework, '--report', o.reportPath]
        if (o.junit) { args += ['--junit', o.junit.toString()] }
        if (o.healthCheck) { args += ['--health-check', o.healthCheck.toString()] }
        args += ['--', o.command.toString()]
        String out = "${dir()}/attempt-${n}.json"
        int status = steps.sh(returnStatus: true, script: Shell.script(dir(), "${prefix()} ${Shell.join(args)} > ${Shell.quote(out)}"))
        return [status: status, json: Json.parse(steps.readFile(out))]
    }

    /** `dozhim decide --json` with the policy options: what to do next, from the reporter's results. */
    Map decide(String tag) {
        return query('decide', tag, ['decide', '--json'] + runArgs() + policyArgs())
    }

    /**
     * Why this run id cannot start a new run, or null. `dozhim decide` exits 0 only for a run that holds
     * attempts: attempt 1 of this build would replace only attempt 1 of it, and its later attempts' results
     * would still count, possibly as passes this build never saw.
     */
    String reusedRunId() {
        Map d = decide('before')
        if (d.status != 0) {
            return null
        }
        return ("run ${o.runId} already has attempts (the latest is ${d.json?.attempt}): their results would mix " +
            "with this build's; give this build its own runId").toString()
    }

    /** `dozhim failed --json --format <format>`: ids, the framework's selectors and selection args. */
    Map failed(String tag, String format) {
        return query('failed', tag, ['failed', '--json', '--format', format] + runArgs())
    }

    /** `dozhim report -o <reportPath>`: the run's merged JUnit report. */
    Map report() {
        return query('report', 'final', ['report', '-o', o.reportPath.toString()] + runArgs(), false)
    }

    /**
     * A query command. stdout → file, stderr → file and then the log, so a failure's message can be
     * quoted in error(). Returns [status, json (null unless parsed), message (last stderr line)].
     */
    private Map query(String name, String tag, List args, boolean json = true) {
        String base = "${dir()}/${name}-${tag}"
        String out = Shell.quote("${base}.out")
        String err = Shell.quote("${base}.err")
        String run = "rc=0; ${prefix()} ${Shell.join(args)} > ${out} 2> ${err} || rc=\$?; cat ${err} >&2; exit \$rc"
        int status = steps.sh(returnStatus: true, script: Shell.script(dir(), run))
        String stdout = steps.readFile("${base}.out")
        String stderr = steps.readFile("${base}.err")
        return [status: status, json: json ? Json.parse(stdout) : null, message: Shell.lastLine(stderr)]
    }

    @NonCPS
    private List runArgs() {
        return ['--run-id', o.runId, '--state-dir', o.stateDir].collect { it.toString() }
    }

    @NonCPS
    private List policyArgs() {
        // Attempt 1's threads: a schedule list's first entry wins over the default `threads`, as in the stage name.
        List a = ['--threads', Options.firstThreads(o), '--max-runs', o.maxRuns, '--max-failed', o.maxFailed]
            .collect { it.toString() }
        if (o.threadsSchedule) { a += ['--threads-schedule', o.threadsSchedule.toString()] }
        if (!o.stopOnNoProgress) { a << '--no-stop-on-no-progress' }
        if (o.failOnFlaky) { a << '--fail-on-flaky' }
        return a
    }

    /** Where this run's CLI answers are kept (inside the state dir, so they are never published). */
    @NonCPS
    String dir() {
        return "${o.stateDir}/jenkins/${Options.fileSafe(o.runId.toString())}".toString()
    }

}
