import io.dozhim.jenkins.Cli
import io.dozhim.jenkins.Downstream
import io.dozhim.jenkins.Options
import io.dozhim.jenkins.Verdict

/*
 * startTests: ONE attempt, for pipelines that write their own loop. `command:` runs `dozhim attempt`
 * (the CLI picks the tests and threads of a rerun); `job:` triggers the downstream test job once.
 * No stage, no build result: the caller decides. Parameters: startTests.txt.
 */

Map call(Map config = [:]) {
    Map checked = Options.normalize('startTests', config,
        [BUILD_TAG: env.BUILD_TAG, DOZHIM_REPORTER_URL: env.DOZHIM_REPORTER_URL])
    if (checked.errors) {
        error(checked.errors.join('\n'))
    }
    Map o = checked.options
    Cli cli = new Cli(this, o)
    Map answer = null
    cli.withEnvironment {
        String reused = o.attempt == 1 ? cli.reusedRunId() : null
        if (reused) {
            error("startTests: ${reused}")
        }
        if (o.command) {
            Map a = cli.attempt(o.attempt as int)
            Map next = Verdict.afterAttempt(a.json, a.status, o.attempt as int)
            if (next.kind == 'error') {
                error("startTests: ${next.reason}")
            }
            answer = [status: a.status]
            answer.putAll(a.json)
        } else {
            String list = (o.testList ?: o.allTests).toString()
            answer = [runId: o.runId, attempt: o.attempt, job: o.job, threads: o.threads, testList: list]
            answer.putAll(Downstream.trigger(this, o, o.attempt as int, o.threads as int, list))
        }
    }
    return answer
}
