/** The time, injectable (tests move it forward to expire sessions and rotated tokens). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
