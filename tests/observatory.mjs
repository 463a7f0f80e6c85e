// Mozilla's HTTP Observatory (npm @mdn/mdn-http-observatory), run against our own server
// on the loopback:
//   node tests/observatory.mjs <package folder> <host> <http port> <https port> [path]
//
// The package's scan() takes a bare hostname and always uses ports 80 and 443; its
// retriever takes ports as options. This is scan() from src/scanner/index.js (1.4.8)
// with the ports (and optionally a page other than the root) passed through: the same retrieval, the same tests, the same grader.
// The package's only export is scan(), so these are its source files, imported by path (it has
// no "exports" map to forbid that); the Makefile pins the version they were read from.
// Prints the scan's JSON: the grade, the score and each test's result.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageFolder, hostname, httpPort, httpsPort, pagePath = ""] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(packageFolder, "src", file)).href);

const { retrieve } = await load("retriever/retriever.js");
const { ALL_TESTS, NUM_TESTS } = await load("constants.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load("grader/charts.js");
const { getGradeForScore, getScoreModifier } = await load("grader/grader.js");

const requests = await retrieve(hostname, { httpPort, httpsPort, path: pagePath });
const response = requests.responses.auto;
if (!response) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}

let testsPassed = 0;
let scoreWithExtraCredit = 100;
let uncurvedScore = 100;
const tests = {};
for (const test of ALL_TESTS) {
  const result = test(requests);
  if (result.result) {
    result.scoreModifier = getScoreModifier(result.result);
    testsPassed += result.pass ? 1 : 0;
    scoreWithExtraCredit += result.scoreModifier;
    if (result.scoreModifier < 0) {
      uncurvedScore += result.scoreModifier;
    }
  }
  tests[result.constructor.name] = result;
}
// Extra credit counts only once the score without it is already an A.
const score =
  uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
const final = getGradeForScore(score);
console.log(
  JSON.stringify(
    {
      scan: {
        grade: final.grade,
        score: final.score,
        statusCode: response.status,
        testsFailed: NUM_TESTS - testsPassed,
        testsPassed,
        responseHeaders: response.headers,
      },
      tests,
    },
    null,
    2
  )
);
