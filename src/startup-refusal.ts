/**
 * A reason the service will not start, as one line naming the file and the fix. The server
 * prints it without a stack trace and exits non-zero.
 */
export class StartupRefusal extends Error {}
