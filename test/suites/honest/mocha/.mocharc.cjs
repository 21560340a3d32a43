// Own config so mocha never looks further up the repo; reporters are chosen on the command line.
module.exports = {
  spec: ['tests/**/*.spec.mjs'],
};
