/**
 * Classic-control envs against Gymnasium 1.x, step for step.
 *
 * ORACLE holds trajectories produced by Gymnasium's own step code (cartpole.py, mountain_car.py,
 * acrobot.py incl. rk4/wrap/bound, pendulum.py) transcribed line for line into a Python script
 * and run under numpy 2.4 (float64 state, `np.array(state, dtype=np.float32)` observations):
 * state set, then the listed actions. We require the float64 state to match bit for bit, the
 * float32 observations exactly, and rewards / terminated exactly.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { AcrobotEnv, CartPoleEnv, MountainCarEnv, PendulumEnv, angleNormalize, InvalidAction, InvalidArgument, ResetNeeded, logger, make, type Env } from '../envs/index.js';

logger.level = 'error';

interface OracleStep {
  state: number[];
  obs: number[];
  reward: number;
  terminated: boolean;
}

const ORACLE: Record<string, OracleStep[]> = {
  cartpole: [
    { state: [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081], obs: [0.009600000455975533, 0.17467918992042542, 0.030799999833106995, -0.24306872487068176], reward: 1.0, terminated: false },
    { state: [0.013093583914951107, -0.020868848948191993, 0.025938625640799837, 0.0591679999394166], obs: [0.013093584217131138, -0.020868849009275436, 0.025938626378774643, 0.059167999774217606], reward: 1.0, terminated: false },
    { state: [0.012676206935987267, -0.21635292104612766, 0.02712198563958817, 0.3599205713784138], obs: [0.012676207348704338, -0.2163529247045517, 0.02712198533117771, 0.35992056131362915], reward: 1.0, terminated: false },
    { state: [0.008349148515064714, -0.021626799199488206, 0.03432039706715644, 0.0759116989474441], obs: [0.00834914855659008, -0.021626798436045647, 0.034320395439863205, 0.07591170072555542], reward: 1.0, terminated: false },
    { state: [0.00791661253107495, 0.17298676004769037, 0.035838631046105324, -0.20574851582677406], obs: [0.007916612550616264, 0.17298676073551178, 0.03583863005042076, -0.20574851334095], reward: 1.0, terminated: false },
    { state: [0.011376347732028757, 0.3675783725675468, 0.03172366072956984, -0.4869142013445082], obs: [0.01137634739279747, 0.367578387260437, 0.03172365948557854, -0.48691418766975403], reward: 1.0, terminated: false },
    { state: [0.01872791518337969, 0.17202349486382784, 0.02198537670267968, -0.18440428392099584], obs: [0.018727915361523628, 0.1720234900712967, 0.021985376253724098, -0.18440428376197815], reward: 1.0, terminated: false },
    { state: [0.022168385080656248, 0.36682408600495897, 0.01829729102425976, -0.4700713747851109], obs: [0.022168384864926338, 0.36682409048080444, 0.018297290429472923, -0.47007137537002563], reward: 1.0, terminated: false },
    { state: [0.02950486680075543, 0.1714485132472654, 0.008895863528557544, -0.17167796834313398], obs: [0.029504867270588875, 0.1714485138654709, 0.00889586377888918, -0.17167796194553375], reward: 1.0, terminated: false },
    { state: [0.03293383706570074, -0.02379962460232901, 0.0054623041616948635, 0.12379799946559022], obs: [0.03293383866548538, -0.023799624294042587, 0.005462304223328829, 0.12379799783229828], reward: 1.0, terminated: false },
  ],
  cartpole_fall: [
    { state: [0.0, 0.1919689517863068, 0.22, 0.776195252810284], obs: [0.0, 0.19196894764900208, 0.2199999988079071, 0.776195228099823], reward: 1.0, terminated: true },
    { state: [0.003839379035726136, 0.3834974588806772, 0.23552390505620568, 0.5599864896748172], obs: [0.0038393789436668158, 0.3834974467754364, 0.23552390933036804, 0.5599864721298218], reward: 0.0, terminated: true },
    { state: [0.01150932821333968, 0.5746748521524554, 0.24672363484970203, 0.3497429976779094], obs: [0.01150932814925909, 0.5746748447418213, 0.24672363698482513, 0.3497430086135864], reward: 0.0, terminated: true },
    { state: [0.02300282525638879, 0.7655961610691816, 0.2537184948032602, 0.14383637769539104], obs: [0.023002825677394867, 0.7655961513519287, 0.2537184953689575, 0.1438363790512085], reward: 0.0, terminated: true },
  ],
  cartpole_sutton: [
    { state: [0.0, 0.1919689517863068, 0.22, 0.776195252810284], obs: [0.0, 0.19196894764900208, 0.2199999988079071, 0.776195228099823], reward: -1.0, terminated: true },
    { state: [0.003839379035726136, 0.3834974588806772, 0.23552390505620568, 0.5599864896748172], obs: [0.0038393789436668158, 0.3834974467754364, 0.23552390933036804, 0.5599864721298218], reward: -1.0, terminated: true },
    { state: [0.01150932821333968, 0.5746748521524554, 0.24672363484970203, 0.3497429976779094], obs: [0.01150932814925909, 0.5746748447418213, 0.24672363698482513, 0.3497430086135864], reward: -1.0, terminated: true },
  ],
  mountaincar: [
    { state: [-0.49917684300416926, 0.0008231569958307428], obs: [-0.49917683005332947, 0.0008231570245698094], reward: -1.0, terminated: false },
    { state: [-0.49753668667935325, 0.0016401563248160246], obs: [-0.49753668904304504, 0.001640156377106905], reward: -1.0, terminated: false },
    { state: [-0.4970917969323474, 0.00044488974700586273], obs: [-0.49709179997444153, 0.00044488973799161613], reward: -1.0, terminated: false },
    { state: [-0.49684550006784745, 0.0002462968644999427], obs: [-0.4968455135822296, 0.0002462968695908785], reward: -1.0, terminated: false },
    { state: [-0.4957996374204934, 0.0010458626473540712], obs: [-0.49579963088035583, 0.001045862678438425], reward: -1.0, terminated: false },
    { state: [-0.49596202671027434, -0.0001623892897809659], obs: [-0.4959620237350464, -0.0001623892894713208], reward: -1.0, terminated: false },
    { state: [-0.49733145422579234, -0.0013694275155180027], obs: [-0.497331440448761, -0.0013694275403395295], reward: -1.0, terminated: false },
    { state: [-0.49789768282304186, -0.0005662285972495108], obs: [-0.4978976845741272, -0.000566228583920747], reward: -1.0, terminated: false },
  ],
  mountaincar_wall: [
    { state: [-1.2, 0.0], obs: [-1.2000000476837158, 0.0], reward: -1.0, terminated: false },
    { state: [-1.1987581039591646, 0.0012418960408353682], obs: [-1.1987581253051758, 0.0012418960686773062], reward: -1.0, terminated: false },
  ],
  mountaincar_goal: [
    { state: [0.5107484356665326, 0.020748435666532672], obs: [0.5107484459877014, 0.020748436450958252], reward: -1.0, terminated: true },
  ],
  acrobot: [
    { state: [0.06048772525939318, -0.054539984470408476, 0.08185570287552836, -0.249273200110109], obs: [0.9981711506843567, 0.06045084819197655, 0.9985130429267883, -0.05451294779777527, 0.08185569941997528, -0.24927319586277008], reward: -1.0, terminated: false },
    { state: [0.054272005444580176, -0.05670082775206833, -0.14249081453790274, 0.22648367897112892], obs: [0.9985276460647583, 0.054245367646217346, 0.9983929395675659, -0.056670449674129486, -0.14249081909656525, 0.22648367285728455], reward: -1.0, terminated: false },
    { state: [0.019610801044562892, -0.0030619800171802353, -0.19537601613803204, 0.29522761548627074], obs: [0.9998077154159546, 0.019609544426202774, 0.9999952912330627, -0.0030619751196354628, -0.19537600874900818, 0.29522761702537537], reward: -1.0, terminated: false },
    { state: [-0.03315974311147681, 0.08904597094778914, -0.3184895107622719, 0.6012291514608996], obs: [0.9994502663612366, -0.03315366804599762, 0.996038019657135, 0.08892834186553955, -0.31848952174186707, 0.6012291312217712], reward: -1.0, terminated: false },
    { state: [-0.10093350394030912, 0.2248215379420604, -0.3410663610879132, 0.7222347368308311], obs: [0.9949105381965637, -0.10076221078634262, 0.9748339056968689, 0.22293239831924438, -0.3410663604736328, 0.7222347259521484], reward: -1.0, terminated: false },
    { state: [-0.13613616594334135, 0.29622685710087543, -0.0029239177061928245, -0.022995092454040744], obs: [0.9907477498054504, -0.135716050863266, 0.9564447402954102, 0.2919134795665741, -0.0029239177238196135, -0.02299509197473526], reward: -1.0, terminated: false },
  ],
  acrobot_fast: [
    { state: [-1.0055430891205912, 1.6738766988485043, 9.519123361791605, -21.091677887450626], obs: [0.5356296896934509, -0.844452977180481, -0.10289791971445084, 0.9946919083595276, 9.519123077392578, -21.091678619384766], reward: -1.0, terminated: false },
    { state: [0.8205194915963991, -2.28629902960444, 7.118160936131445, -14.97140062289852], obs: [0.6818413138389587, 0.7315001487731934, -0.6559969186782837, -0.7547635436058044, 7.118160724639893, -14.971400260925293], reward: -1.0, terminated: false },
    { state: [2.122993754682176, 1.1802776952246, 6.652122386445537, -15.01975124238952], obs: [-0.5245593190193176, 0.8513739109039307, 0.380668044090271, 0.9247117638587952, 6.652122497558594, -15.01975154876709], reward: 0.0, terminated: true },
  ],
  pendulum: [
    { state: [2.4986927054038985, -0.026145891922032538], obs: [-0.8003605604171753, 0.5995189547538757, -0.026145892217755318], reward: -6.3012500001359735, terminated: false },
    { state: [2.5048673719249783, 0.1234933304215946], obs: [-0.8040471076965332, 0.5945656299591064, 0.12349332869052887], reward: -6.247533596995085, terminated: false },
    { state: [2.5355882487709125, 0.6144175369186815], obs: [-0.8219304084777832, 0.5695878863334656, 0.614417552947998], reward: -6.275975611208852, terminated: false },
    { state: [2.602668672403043, 1.3416084726426112], obs: [-0.8582614064216614, 0.5132128000259399, 1.3416085243225098], reward: -6.470958658462452, terminated: false },
    { state: [2.6797353228688148, 1.5413330093154332], obs: [-0.8952264189720154, 0.4456115961074829, 1.5413329601287842], reward: -6.9553997035379345, terminated: false },
  ],
  pendulum_g: [
    { state: [-2.701279648857683, 7.974407022846336], obs: [-0.9046183228492737, -0.42622262239456177, 7.974407196044922], reward: -15.851490000005814, terminated: false },
    { state: [-2.3039889634047936, 7.945813709057791], obs: [-0.6692453026771545, -0.7430415153503418, 7.9458136558532715], reward: -13.659638477949091, terminated: false },
  ],
};

type Stateful = Env<Float32Array, any> & { state: Float64Array | null };

function replay(name: string, env: Stateful, state: number[], actions: unknown[]): void {
  env.reset({ seed: 0 });
  env.state = Float64Array.from(state);
  const expected = ORACLE[name]!;
  assert.is(actions.length, expected.length);
  actions.forEach((a, t) => {
    const [obs, reward, terminated, truncated] = env.step(a);
    const ex = expected[t]!;
    assert.ok(obs instanceof Float32Array, `${name} step ${t}: obs is a Float32Array`);
    assert.equal(Array.from(env.state!), ex.state, `${name} step ${t}: float64 state`);
    assert.equal(Array.from(obs), ex.obs, `${name} step ${t}: float32 observation`);
    assert.is(reward, ex.reward, `${name} step ${t}: reward`);
    assert.is(terminated, ex.terminated, `${name} step ${t}: terminated`);
    assert.is(truncated, false);
  });
}

test('CartPole-v1 trajectory matches Gymnasium step for step', () => {
  replay('cartpole', new CartPoleEnv(), [0.01, -0.02, 0.03, 0.04], [1, 0, 0, 1, 1, 1, 0, 1, 0, 0]);
});

test('CartPole step worked by hand from the equations (Florian 2005 / Gymnasium cartpole.py)', () => {
  const env = new CartPoleEnv();
  env.reset({ seed: 1 });
  env.state = [0.01, -0.02, 0.03, 0.04];
  const [obs] = env.step(1);
  // Constants: g = 9.8, m_c = 1.0, m_p = 0.1, l = 0.5 (half length), F = +10 (action 1), tau = 0.02.
  const [x, xDot, theta, thetaDot] = [0.01, -0.02, 0.03, 0.04];
  const totalMass = 0.1 + 1.0;
  const polemassLength = 0.1 * 0.5;
  const temp = (10 + polemassLength * thetaDot ** 2 * Math.sin(theta)) / totalMass; // ≈ 9.0909112725
  const thetaacc = (9.8 * Math.sin(theta) - Math.cos(theta) * temp) / (0.5 * (4 / 3 - (0.1 * Math.cos(theta) ** 2) / totalMass)); // ≈ −14.1534
  const xacc = temp - (polemassLength * thetaacc * Math.cos(theta)) / totalMass; // ≈ 9.7340
  assert.ok(Math.abs(temp - 9.090911272) < 1e-8);
  assert.ok(Math.abs(thetaacc - -14.15343589800) < 1e-9);
  assert.ok(Math.abs(xacc - 9.73395978738) < 1e-9);
  // Euler: x ← x + tau·xDot, xDot ← xDot + tau·xacc, theta ← theta + tau·thetaDot, thetaDot ← thetaDot + tau·thetaacc
  assert.equal(Array.from(env.state!), [x + 0.02 * xDot, xDot + 0.02 * xacc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaacc]);
  assert.ok(Math.abs(obs[0]! - 0.0096) < 1e-9 && Math.abs(obs[2]! - 0.0308) < 1e-9);
  assert.ok(Math.abs(obs[1]! - 0.1746792) < 1e-6 && Math.abs(obs[3]! - -0.2430687) < 1e-6);
});

test('CartPole terminates past 12 degrees with reward 1, then 0 beyond termination (Gymnasium)', () => {
  replay('cartpole_fall', new CartPoleEnv(), [0, 0, 0.2, 1.0], [1, 1, 1, 1]);
  assert.is(ORACLE['cartpole_fall']![0]!.terminated, true);
  assert.equal(ORACLE['cartpole_fall']!.map((s) => s.reward), [1, 0, 0, 0]);
});

test('CartPole suttonBartoReward gives −1 on termination', () => {
  replay('cartpole_sutton', new CartPoleEnv({ suttonBartoReward: true }), [0, 0, 0.2, 1.0], [1, 1, 1]);
  const env = new CartPoleEnv({ suttonBartoReward: true });
  env.reset({ seed: 3 });
  assert.is(env.step(0)[1], 0);
});

test('CartPole constants, spaces and thresholds are Gymnasium\'s', () => {
  const env = new CartPoleEnv();
  assert.is(env.thetaThresholdRadians, (12 * 2 * Math.PI) / 360);
  assert.is(env.xThreshold, 2.4);
  assert.is(env.tau, 0.02);
  assert.is(env.forceMag, 10);
  assert.equal(Array.from(env.observationSpace.high), [Math.fround(4.8), Infinity, Math.fround(0.41887902047863906), Infinity]);
  assert.is(env.actionSpace.n, 2);
});

test('CartPole reset: uniform in (−0.05, 0.05), seeded, options low/high', () => {
  const env = new CartPoleEnv();
  const [a] = env.reset({ seed: 42 });
  const [b] = env.reset({ seed: 42 });
  assert.equal(Array.from(a), Array.from(b));
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 2000; i++) {
    for (const v of env.state!) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    env.reset();
  }
  assert.ok(lo >= -0.05 && hi < 0.05 && lo < -0.049 && hi > 0.049);
  env.reset({ options: { low: 0.5, high: 0.6 } });
  assert.ok(env.state!.every((v) => v >= 0.5 && v < 0.6));
  assert.throws(() => env.reset({ options: { low: 1, high: 0 } }), /Lower bound \(1\) must be lower than higher bound \(0\)/);
  assert.throws(() => env.reset({ options: { low: 'abc' } }), (e: Error) => e instanceof InvalidArgument);
});

test('CartPole: step before reset and a bad action are clear errors', () => {
  const env = new CartPoleEnv();
  assert.throws(() => env.step(0), (e: Error) => e instanceof ResetNeeded && /reset/.test(e.message));
  env.reset({ seed: 0 });
  assert.throws(() => env.step(2), (e: Error) => e instanceof InvalidAction && /Discrete\(2\)/.test(e.message));
  assert.throws(() => env.step(0.5 as number), (e: Error) => e instanceof InvalidAction);
});

test('MountainCar-v0 trajectories match Gymnasium (valley, left wall, goal)', () => {
  replay('mountaincar', new MountainCarEnv(), [-0.5, 0], [2, 2, 0, 1, 2, 0, 0, 2]);
  replay('mountaincar_wall', new MountainCarEnv(), [-1.19, -0.02], [0, 0]);
  replay('mountaincar_goal', new MountainCarEnv(), [0.49, 0.02], [2]);
});

test('MountainCar step by hand: v += (a−1)·0.001 − cos(3p)·0.0025; p += v', () => {
  const env = new MountainCarEnv();
  env.reset({ seed: 0 });
  env.state = [-0.5, 0];
  env.step(2);
  const v = 0 + (2 - 1) * 0.001 + Math.cos(3 * -0.5) * -0.0025;
  assert.equal(Array.from(env.state!), [-0.5 + v, v]);
  const [obs] = env.reset({ seed: 7 });
  assert.ok(obs[0]! >= -0.6 && obs[0]! < -0.4 && obs[1] === 0);
});

test('Acrobot-v1 trajectories match Gymnasium (rk4, book dynamics, wrap and bound)', () => {
  replay('acrobot', new AcrobotEnv(), [Math.fround(0.05), Math.fround(-0.03), Math.fround(0.02), Math.fround(0.01)], [0, 2, 1, 2, 2, 0]);
  replay('acrobot_fast', new AcrobotEnv(), [3.0, 0.5, 12.0, -27.0], [2, 2, 2]);
  assert.is(ORACLE['acrobot_fast']!.at(-1)!.terminated, true);
});

test('Acrobot reset state is float32-rounded uniform in [−0.1, 0.1]', () => {
  const env = new AcrobotEnv();
  env.reset({ seed: 5 });
  for (const v of env.state!) {
    assert.is(v, Math.fround(v));
    assert.ok(v >= -0.1 && v <= 0.1);
  }
});

test('Pendulum-v1 trajectories match Gymnasium (clipped torque, float32 terms as numpy 2)', () => {
  replay('pendulum', new PendulumEnv(), [2.5, -0.7], [1.5, -2.0, 0.3, 3.0, -1.234567].map((u) => Float32Array.of(u)));
  replay('pendulum_g', new PendulumEnv({ g: 9.81 }), [-3.1, 7.9], [0.7, 1.9].map((u) => Float32Array.of(u)));
});

test('Pendulum reward by hand: −(θ² + 0.1·θ̇² + 0.001·u²)', () => {
  const env = new PendulumEnv();
  env.reset({ seed: 0 });
  env.state = [0.5, 1.0];
  const [, reward] = env.step(Float32Array.of(1));
  // 0.001·u² is float32 in Gymnasium (numpy 2): float32(0.001) = 0.0010000000474974513
  assert.is(reward, -(0.5 ** 2 + 0.1 * 1.0 ** 2 + Math.fround(0.001)));
  assert.ok(Math.abs(angleNormalize(3 * Math.PI) - Math.PI) < 1e-12 || Math.abs(angleNormalize(3 * Math.PI) + Math.PI) < 1e-12);
  assert.ok(Math.abs(angleNormalize(-4) - (2 * Math.PI - 4)) < 1e-12);
  // an untyped caller's action (a plain array), as a user module could pass
  assert.throws(() => Reflect.apply(env.step, env, [[]]), (e: Error) => e instanceof InvalidAction);
});

test('classic-control registrations: maxEpisodeSteps and rewardThreshold as Gymnasium', () => {
  const expected: [string, number, number | null][] = [
    ['CartPole-v1', 500, 475],
    ['MountainCar-v0', 200, -110],
    ['Acrobot-v1', 500, -100],
    ['Pendulum-v1', 200, null],
  ];
  for (const [id, steps, threshold] of expected) {
    const env = make(id);
    assert.is(env.spec!.maxEpisodeSteps, steps, id);
    assert.is(env.spec!.rewardThreshold, threshold, id);
  }
});

test('CartPole through make truncates at 500 steps', () => {
  const env = make('CartPole-v1');
  env.reset({ seed: 0 });
  const cart = env.unwrapped as CartPoleEnv;
  let t = 0;
  for (;;) {
    cart.state = [0, 0, 0, 0]; // keep balanced
    const [, , terminated, truncated] = env.step(t % 2);
    t++;
    if (terminated || truncated) {
      assert.is(truncated, true);
      assert.is(terminated, false);
      break;
    }
  }
  assert.is(t, 500);
});

test.run();
