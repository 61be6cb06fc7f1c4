import { native } from '../src/native';

/**
 * Seconds one TorchScript load of the module takes in this process (the median of three), the cost a
 * load-per-file run pays again for every file on top of starting a process.
 */
export async function secondsPerLoad(modulePath: string): Promise<number> {
  const addon = native();
  const seconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const info = await addon.loadModel('bench-load-time', modulePath, { device: 'cpu', dtype: 'fp32' });
    seconds.push(info.loadSeconds);
    addon.unloadModel('bench-load-time');
  }
  return seconds.sort((a, b) => a - b)[1];
}
