/**
 * Imported first by cli.ts. On Node 20 the AWS SDK prints a multi-line NodeVersionSupportWarning to
 * stderr, which breaks JSON-only logs and the tables of `npm start`. Node 20 is supported here and the
 * image runs Node 22, so we turn it off with the SDK's own switch, unless the user set it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
export {}
