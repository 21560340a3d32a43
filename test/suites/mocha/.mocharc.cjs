// Own config so mocha never looks further up the repo; reporters are chosen on the command line.
// Note: files given on the command line are added to this spec, not substituted: select with --grep.
module.exports = {
  spec: ['tests/**/*.spec.mjs'],
};
