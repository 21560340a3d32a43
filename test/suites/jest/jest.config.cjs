// Own config so the repo's root configs are never picked up; no transform: the tests are plain CommonJS.
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.test.cjs'],
  transform: {},
};
