import io.dozhim.jenkins.Cli
import io.dozhim.jenkins.Options

/*
 * getFailedTests: the run's currently failing tests, what the reporter's GET /failedTests/:runId
 * answers, through `dozhim failed` (canonical ids; or with format: a framework's selectors).
 * Parameters: getFailedTests.txt.
 */

/** getFailedTests(runId, format: 'pytest'): Groovy passes the named arguments first, as a Map. */
List call(Map config, String runId) {
    return call(runId, config)
}

List call(String runId, Map config = [:]) {
    Map all = [runId: runId]
    all.putAll(config)
    Map checked = Options.normalize('getFailedTests', all,
        [BUILD_TAG: env.BUILD_TAG, DOZHIM_REPORTER_URL: env.DOZHIM_REPORTER_URL])
    if (checked.errors) {
        error(checked.errors.join('\n'))
    }
    Map o = checked.options
    Cli cli = new Cli(this, o)
    Map failed = null
    cli.withEnvironment {
        failed = cli.failed('query', (o.format ?: 'id').toString())
    }
    if (failed.status != 0 || failed.json == null) {
        error("getFailedTests: dozhim failed exited ${failed.status} for run ${o.runId}: ${failed.message}")
    }
    return new ArrayList(failed.json.selectors)
}
