// Own config so the repo's root configs are never picked up; no transform: plain CommonJS tests.
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.test.cjs'],
  transform: {},
};
