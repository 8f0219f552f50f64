import pkg from '../../package.json';

/** Jobdeck's version, from package.json. */
export const VERSION: string = pkg.version;
