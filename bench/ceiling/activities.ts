/** The ceiling workflow's only activity: nothing at all. */
export const ceilingActivities = {
  async nothing(): Promise<void> {},
};
export type CeilingActivities = typeof ceilingActivities;
