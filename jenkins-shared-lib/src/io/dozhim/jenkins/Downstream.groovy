package io.dozhim.jenkins

/**
 * Triggers the downstream test job for one attempt, the way existing pipelines do: string parameters
 * threadsCount, runId, testList (and attempt), propagate: false so a red test job does not abort the
 * loop, wait: true so its results are in the reporter when it returns.
 */
class Downstream implements Serializable {

    private static final long serialVersionUID = 1L

    /** Returns [result, number, url] of the downstream build (plain values, never the RunWrapper). */
    static Map trigger(Object steps, Map o, int n, int threads, String testList) {
        List params = [
            steps.string(name: o.threadsParam, value: threads.toString()),
            steps.string(name: o.runIdParam, value: o.runId.toString()),
            steps.string(name: o.testListParam, value: testList),
        ]
        if (o.attemptParam) {
            params << steps.string(name: o.attemptParam, value: n.toString())
        }
        // An index loop: a Map iterator held across a step is not Serializable under CPS.
        List names = new ArrayList(o.parameters.keySet())
        for (int i = 0; i < names.size(); i++) {
            params << steps.string(name: names[i].toString(), value: o.parameters[names[i]].toString())
        }
        def build = steps.build(job: o.job, parameters: params, propagate: false, wait: true)
        Map answer = [result: (build.result ?: 'NOT_BUILT').toString(), number: build.number, url: build.absoluteUrl?.toString()]
        return answer
    }

}
