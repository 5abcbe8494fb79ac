export declare const TOP_HELP: string;
export declare function cliVersion(): string;
export declare function topLevelAnswer(argv: readonly string[]): string | undefined;
export declare function commandHelp(): Record<string, string> | undefined;
