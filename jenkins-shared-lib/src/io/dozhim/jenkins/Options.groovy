package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * The options of every step, their defaults and their validation, in one place. Pure (no pipeline
 * steps), so it is @NonCPS: the step calls error() with the messages this returns.
 *
 * The keys listed here are the documented parameters: a test checks them against vars/*.txt.
 */
class Options implements Serializable {

    private static final long serialVersionUID = 1L

    /** Options every step that reaches the CLI or the reporter accepts. */
    static final Map CLI = [
        runId: null, label: '', reporterUrl: null, credentialsId: null,
        cli: 'dozhim', cliVersion: null, stateDir: '.dozhim',
    ].asImmutable()

    /** The retry policy's options: passed to the CLI, which decides (never re-implemented here). */
    static final Map POLICY = [
        threads: 8, maxRuns: 3, maxFailed: 40, stopOnNoProgress: true, threadsSchedule: null,
        failOnFlaky: false,
    ].asImmutable()

    /** How the tests run: `command:` on this node, or `job:` downstream (with its parameter names). */
    static final Map RUNNING = [
        command: null, job: null, framework: 'generic', junit: null, healthCheck: null, reportPath: null,
        threadsParam: 'threadsCount', runIdParam: 'runId', testListParam: 'testList',
        attemptParam: 'attempt', allTests: '*Test', parameters: [:],
    ].asImmutable()

    /** What testsWithRerun does with the outcome. */
    static final Map RESULT = [flakyResult: 'UNSTABLE', publishJunit: true, errorOnFailure: true].asImmutable()

    /** Only for startTests (one attempt, the caller's loop). */
    static final Map ONE_ATTEMPT = [attempt: 1, testList: null].asImmutable()

    /** Only for getFailedTests (its run id is the first argument). */
    static final Map FAILED = [format: null].asImmutable()

    static final String RUN_ID_CHARS = 'A-Za-z0-9._:@/-'

    @NonCPS
    static Map defaults(String step) {
        Map d = [:]
        if (step == 'testsWithRerun') {
            d.putAll(CLI); d.putAll(POLICY); d.putAll(RUNNING); d.putAll(RESULT)
        } else if (step == 'startTests') {
            d.putAll(CLI); d.putAll(POLICY); d.putAll(RUNNING); d.putAll(ONE_ATTEMPT)
        } else if (step == 'getFailedTests') {
            d.putAll(CLI); d.putAll(FAILED); d.remove('label')
        } else {
            throw new IllegalArgumentException("no such step: ${step}")
        }
        return d
    }

    /**
     * Defaults applied and every value checked. `env` holds the build's BUILD_TAG and
     * DOZHIM_REPORTER_URL. Returns [options: Map, errors: List<String>]; errors are complete sentences
     * prefixed with the step name, so error(errors.join('\n')) is a clear message.
     */
    @NonCPS
    static Map normalize(String step, Map config, Map env) {
        Map d = defaults(step)
        List errors = []
        Map given = config == null ? [:] : config
        List unknown = given.keySet().findAll { !d.containsKey(it) }.collect { it.toString() }
        if (unknown) {
            errors << "unknown option${unknown.size() == 1 ? '' : 's'} ${unknown.join(', ')} " +
                "(known: ${d.keySet().sort().join(', ')})"
        }
        Map o = [:]
        o.putAll(d)
        given.each { k, v -> if (d.containsKey(k) && v != null) { o[k] = v } }

        checkRunId(o, env, errors)
        if (o.reporterUrl == null || o.reporterUrl == '') { o.reporterUrl = env.DOZHIM_REPORTER_URL ?: null }
        if (o.cliVersion && given.cli) { errors << 'give either cli (a preinstalled dozhim) or cliVersion (npx), not both' }
        if (o.cliVersion && !(o.cliVersion ==~ /[0-9A-Za-z.+-]+/)) { errors << "cliVersion must be a version like 0.1.0, got '${o.cliVersion}'" }
        if (o.cli.toString().trim() == '') { errors << 'cli must be a non-empty command (default: dozhim)' }
        if (d.containsKey('threads')) { checkRunning(step, o, given, errors) }
        if (d.containsKey('flakyResult') && !(o.flakyResult in ['UNSTABLE', 'SUCCESS'])) {
            errors << "flakyResult must be UNSTABLE or SUCCESS, got '${o.flakyResult}'"
        }
        ['stopOnNoProgress', 'failOnFlaky', 'publishJunit', 'errorOnFailure'].each { k ->
            if (d.containsKey(k) && !(o[k] instanceof Boolean)) { errors << "${k} must be true or false, got '${o[k]}'" }
        }
        if (o.reportPath == null && d.containsKey('reportPath') && o.runId) {
            o.reportPath = "dozhim-report-${fileSafe(o.runId)}.xml".toString()
        }
        return [options: o, errors: errors.collect { "${step}: ${it}".toString() }]
    }

    @NonCPS
    private static void checkRunId(Map o, Map env, List errors) {
        if (o.runId != null) {
            o.runId = o.runId.toString()
            if (!validRunId(o.runId)) {
                errors << "runId must be 1-200 characters of ${RUN_ID_CHARS}, got '${o.runId}'"
            }
        } else if (env.BUILD_TAG) {
            // BUILD_TAG of a multibranch job holds %2F and may hold spaces: not valid run id characters.
            String base = env.BUILD_TAG.toString().replaceAll("[^${RUN_ID_CHARS}]", '_')
            o.runId = o.label ? "${base}-${o.label}".toString() : base
            if (!validRunId(o.runId)) {
                errors << "the default runId '${o.runId}' (from BUILD_TAG) is invalid: pass runId"
            }
        } else {
            errors << 'no runId given and BUILD_TAG is not set'
        }
        if (o.containsKey('label') && !(o.label ==~ /[A-Za-z0-9._-]*/)) {
            errors << "label must be letters, digits, . _ or -, got '${o.label}'"
        }
    }

    @NonCPS
    private static void checkRunning(String step, Map o, Map given, List errors) {
        boolean hasCommand = o.command != null && o.command.toString().trim() != ''
        boolean hasJob = o.job != null && o.job.toString().trim() != ''
        if (hasCommand == hasJob) {
            errors << "give exactly one of command (run the tests here through dozhim attempt) or job (trigger a downstream test job)"
        }
        if (hasJob && !o.reporterUrl) {
            errors << 'job mode needs reporterUrl (or DOZHIM_REPORTER_URL): the downstream job uploads its results there'
        }
        ['threads', 'maxRuns'].each { k ->
            Integer n = positiveInt(o[k])
            if (n == null) { errors << "${k} must be a positive whole number, got '${o[k]}'" } else { o[k] = n }
        }
        if (step == 'startTests' && hasJob && o.healthCheck) {
            errors << 'healthCheck runs in command mode only: in job mode run your check before startTests'
        }
        if (step == 'startTests') {
            Integer a = positiveInt(o.attempt)
            if (a == null) { errors << "attempt must be a positive whole number, got '${o.attempt}'" } else { o.attempt = a }
        }
        String mf = o.maxFailed.toString().trim()
        if (mf ==~ /\d+/) {
            o.maxFailed = mf
        } else if (mf ==~ /\d+(\.\d+)?%/ && new BigDecimal(mf[0..-2]) <= 100) {
            o.maxFailed = mf
        } else {
            errors << "maxFailed must be a whole number like 40 or a percent like 10%, got '${o.maxFailed}'"
        }
        if (o.threadsSchedule != null) {
            String s = o.threadsSchedule instanceof List ? o.threadsSchedule.join(',') : o.threadsSchedule.toString()
            s = s.replaceAll(/\s/, '')
            if (s == 'halve' || s ==~ /[1-9]\d*(,[1-9]\d*)*/) {
                o.threadsSchedule = s
                if (s != 'halve' && given.threads != null && o.threads != firstThreads(o)) {
                    errors << "threads (${o.threads}) and threadsSchedule (${s}) disagree on attempt 1: give one of them"
                }
            } else {
                errors << "threadsSchedule must be 'halve' or a list like [8, 4, 2], got '${o.threadsSchedule}'"
            }
        }
        if (!(o.framework ==~ /[a-z]+/)) { errors << "framework must be a dozhim framework name, got '${o.framework}'" }
        if (!(o.parameters instanceof Map)) { errors << 'parameters must be a map of extra string parameters for the job' }
        ['threadsParam', 'runIdParam', 'testListParam'].each { k ->
            if (!o[k]) { errors << "${k} must name the downstream job's parameter" }
        }
    }

    @NonCPS
    static boolean validRunId(String id) {
        return id ==~ /[${RUN_ID_CHARS}]{1,200}/
    }

    /** Threads of the first attempt: the schedule's first entry when it is a list, else `threads`. */
    @NonCPS
    static int firstThreads(Map o) {
        if (o.threadsSchedule && o.threadsSchedule != 'halve') {
            return o.threadsSchedule.tokenize(',')[0] as int
        }
        return o.threads as int
    }

    @NonCPS
    static Integer positiveInt(Object v) {
        String s = v == null ? '' : v.toString().trim()
        return s ==~ /[1-9]\d{0,5}/ ? (s as Integer) : null
    }

    /** A run id as a file name part (run ids may hold / and :). */
    @NonCPS
    static String fileSafe(String s) {
        return s.replaceAll(/[^A-Za-z0-9._-]/, '_')
    }

}
