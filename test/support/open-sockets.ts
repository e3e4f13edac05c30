/** TCP sockets open in this process (both ends of a loopback connection count): for "no socket left" checks. */
export const openTcpSockets = (): number =>
  process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
