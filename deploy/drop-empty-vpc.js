// serverless attaches AWSLambdaVPCAccessExecutionRole whenever provider.vpc is set, even to empty lists.
// Without subnets the functions run outside any VPC, so they need no such policy: drop the empty
// value before packaging. (A variable cannot resolve to "absent", and anything but an object with
// both lists fails the schema.)
class DropEmptyVpc {
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        const { provider } = serverless.service;
        if (provider.vpc && !provider.vpc.subnetIds?.length && !provider.vpc.securityGroupIds?.length) delete provider.vpc;
      },
    };
  }
}

module.exports = DropEmptyVpc;
